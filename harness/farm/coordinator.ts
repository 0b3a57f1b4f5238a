/**
 * The coordinator's side of a farm run (`hangar run --redis URL`): every attempt of every
 * scenario becomes one job (deterministic id run/scenario/attempt), the kernel is published,
 * and the results that workers send back are written into the same results tree, summary,
 * JUnit and page as a local run. `farm.json` in the run folder lets `--resume` find the run's
 * jobs again after the coordinator died.
 *
 * Every wait has a deadline: each Redis call; Redis silent for `redisLostMs` (the run stops,
 * its jobs stay queued for --resume); no worker alive for `noWorkerMs`; a job running past its
 * scenario deadline plus `jobSlackMs`.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { UserInputError, errorMessage, sleep, withDeadline, writeJsonAtomic, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import { FILES, ResultStore, type RunSummary } from "../results/index.ts";
import { runSummary, summarizeScenario, type AttemptResult, type BootPlan } from "../run/index.ts";
import { publishKernel } from "./artifacts.ts";
import { closeRedis, connectRedis, describeRedisError, redisOptions, type RedisTarget } from "./connection.ts";
import { farmInfra, takeBackIfQueued, type JobEntry } from "./collect.ts";
import { emptyRound, noWorkerReason, pollRound, progressLine } from "./poll.ts";
import { FARM_FORMAT, QUEUE, jobId, triesKey, type JobData, type KernelRef } from "./job.ts";
import { DEFAULT_LOG_CAP } from "./pack-logs.ts";
import { fromWireScenario, toWireScenario, type WireScenario } from "./scenario-wire.ts";

export const FARM_FILE = "farm.json";

export interface FarmDeadlines {
  /** Give up when Redis has not answered for this long (default 2 min); the jobs stay for --resume. */
  redisLostMs?: number;
  /** Give up on what is left when no worker has been alive for this long (default 10 min). */
  noWorkerMs?: number;
  /** A job may run this much longer than its scenario's deadline (image build, kernel fetch, retries). Default 60 min. */
  jobSlackMs?: number;
  /** How often the queue is read (default 500 ms). */
  pollMs?: number;
  /** First delay before a job that ended `infra` is tried again (doubling each time; default 5 s). */
  retryDelayMs?: number;
}

export interface FarmRunOptions extends FarmDeadlines {
  target: RedisTarget;
  suite: string;
  scenarios: Scenario[];
  plan: BootPlan;
  store: ResultStore;
  sink: EventSink;
  /** Attempts per scenario (default: each scenario's own). */
  attempts?: number;
  signal?: AbortSignal;
  accel?: "auto" | "kvm" | "tcg";
  /** The time factor the scenarios were scaled by (recorded in each job). */
  timeFactor?: number;
  /** Tries of a job that ends `infra` before that verdict is final (default 3). */
  tries?: number;
  /** Per-file cap of the logs that come back (default 16 MiB, head and tail kept). */
  logCapBytes?: number;
}

/** What --resume needs, in the run folder. */
interface FarmFile {
  format: typeof FARM_FORMAT;
  runId: string;
  suite: string;
  startedAt: string;
  redis: string;
  plan: BootPlan;
  scenarios: { wire: WireScenario; attempts: number }[];
  jobs: { id: string; data: JobData }[];
}

type Entry = JobEntry;

/** A run's farm.json cannot be used: exit 2. */
export class FarmRunFileError extends UserInputError {}

/**
 * Run scenarios on the farm and write the summary. Redis unreachable → RedisUnreachableError
 * (exit 3) before anything is enqueued.
 */
export async function runSuiteOnFarm(o: FarmRunOptions): Promise<RunSummary> {
  const startedAt = new Date().toISOString();
  const redis = await connectRedis(o.target, { name: `hangar:coordinator:${o.store.runId}` });
  try {
    const kernel = await publishKernel(redis, o.plan.kernel);
    const tries = o.tries ?? 3;
    const logCapBytes = o.logCapBytes ?? DEFAULT_LOG_CAP;
    const scenarios = o.scenarios.map((sc) => ({ sc, wire: toWireScenario(sc), attempts: o.attempts ?? sc.attempts }));
    const entries: Entry[] = [];
    for (const { sc, wire, attempts } of scenarios) {
      for (let a = 1; a <= attempts; a++) {
        entries.push({ id: jobId(o.store.runId, sc.name, a), sc, data: jobData(o, { wire, attempt: a, kernel, tries, logCapBytes }), dir: o.store.attemptDir(sc.name, a) });
      }
    }
    const file: FarmFile = {
      format: FARM_FORMAT,
      runId: o.store.runId,
      suite: o.suite,
      startedAt,
      redis: o.target.display,
      plan: o.plan,
      scenarios: scenarios.map(({ wire, attempts }) => ({ wire, attempts })),
      jobs: entries.map((e) => ({ id: e.id, data: e.data })),
    };
    await writeJsonAtomic(join(o.store.dir, FARM_FILE), file);
    return await drive({ ...o, redis, entries, scenarios: o.scenarios, startedAt, logCapBytes, done: new Map() });
  } finally {
    await closeRedis(redis);
  }
}

/**
 * `hangar run --redis URL --resume RUN`: find the run's jobs again (farm.json), enqueue those
 * that are gone (same ids: nothing is duplicated), collect what finished meanwhile and wait for the rest.
 */
export async function resumeFarmRun(o: { target: RedisTarget; store: ResultStore; sink: EventSink; signal?: AbortSignal } & FarmDeadlines): Promise<RunSummary> {
  const path = join(o.store.dir, FARM_FILE);
  let file: FarmFile;
  try {
    file = JSON.parse(await readFile(path, "utf8")) as FarmFile;
  } catch (err) {
    throw new FarmRunFileError(`${path}: cannot read the farm run (${errorMessage(err)}); --resume takes a run started with --redis`);
  }
  if (file.format !== FARM_FORMAT || file.runId !== o.store.runId || !Array.isArray(file.jobs)) {
    throw new FarmRunFileError(`${path}: field format/runId/jobs: expected a farm run of format ${FARM_FORMAT} for run ${o.store.runId}`);
  }
  const byName = new Map<string, Scenario>();
  for (const s of file.scenarios) byName.set(s.wire.name, await fromWireScenario(s.wire, { checkHost: false }));
  const entries: Entry[] = file.jobs.map((j) => {
    const sc = byName.get(j.data.scenario.name);
    if (!sc) throw new FarmRunFileError(`${path}: field jobs: job ${j.id} names scenario ${j.data.scenario.name}, which is not in scenarios`);
    return { id: j.id, sc, data: j.data, dir: o.store.attemptDir(sc.name, j.data.attempt) };
  });
  // Attempts already collected into the results tree are not collected again.
  const done = new Map<string, AttemptResult>();
  for (const e of entries) {
    const r = await readCollected(o.store.attemptDir(e.sc.name, e.data.attempt), e.id);
    if (r) done.set(e.id, r);
  }
  o.sink.emit({ type: "log", level: "info", message: `resuming farm run ${file.runId}: ${done.size}/${entries.length} attempt(s) already collected` });
  const redis = await connectRedis(o.target, { name: `hangar:coordinator:${file.runId}` });
  try {
    return await drive({
      ...o,
      redis,
      entries,
      scenarios: [...byName.values()],
      suite: file.suite,
      plan: file.plan,
      startedAt: file.startedAt,
      logCapBytes: entries[0]?.data.logCapBytes ?? DEFAULT_LOG_CAP,
      done,
    });
  } finally {
    await closeRedis(redis);
  }
}

/**
 * The results store of a farm run to resume (`--resume RUN-ID`): the id must name a run folder
 * under `root` that has a farm.json, else a usage error naming what was expected.
 */
export async function farmRunStore(root: string, runId: string): Promise<ResultStore> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) throw new FarmRunFileError(`--resume ${JSON.stringify(runId)}: expected a run id such as 20261201-101500-3fa2 (a folder of ${root})`);
  const store = new ResultStore(root, runId);
  const path = join(store.dir, FARM_FILE);
  if (!(await stat(path).catch(() => undefined))?.isFile()) throw new FarmRunFileError(`--resume ${runId}: ${path} does not exist; --resume takes a run that was started with --redis`);
  return store;
}

function jobData(o: FarmRunOptions, x: { wire: WireScenario; attempt: number; kernel: KernelRef; tries: number; logCapBytes: number }): JobData {
  return {
    format: FARM_FORMAT,
    runId: o.store.runId,
    scenario: x.wire,
    attempt: x.attempt,
    ...(o.timeFactor !== undefined ? { timeFactor: o.timeFactor } : {}),
    kernel: x.kernel,
    imageId: o.plan.image.id,
    accel: o.accel ?? "auto",
    tries: x.tries,
    logCapBytes: x.logCapBytes,
  };
}

const REDIS_CALL_MS = 10_000;

interface DriveOptions extends FarmDeadlines {
  target: RedisTarget;
  redis: Redis;
  entries: Entry[];
  scenarios: Scenario[];
  suite: string;
  plan: BootPlan;
  store: ResultStore;
  sink: EventSink;
  signal?: AbortSignal;
  startedAt: string;
  logCapBytes: number;
  done: Map<string, AttemptResult>;
}

/** Enqueue what is not queued yet, collect results until every attempt has one (or a deadline passes), write the summary. */
async function drive(o: DriveOptions): Promise<RunSummary> {
  const redisLostMs = o.redisLostMs ?? 120_000;
  const noWorkerMs = o.noWorkerMs ?? 600_000;
  const jobSlackMs = o.jobSlackMs ?? 3_600_000;
  const pollMs = o.pollMs ?? 500;
  const bullConnection = new Redis(redisOptions(o.target, { name: `hangar:coordinator:${o.store.runId}:bull` }));
  bullConnection.on("error", () => {});
  const queue = new Queue(QUEUE, { connection: bullConnection });
  queue.on("error", () => {});
  const call = <T>(p: Promise<T>, what: string) => withDeadline(p, REDIS_CALL_MS, what);
  const poll = { queue, redis: o.redis, sink: o.sink, logCapBytes: o.logCapBytes, jobSlackMs, callMs: REDIS_CALL_MS };
  const results = o.done;
  const pending = new Map(o.entries.filter((e) => !results.has(e.id)).map((e) => [e.id, e]));
  let interrupted = false;
  let keepJobs = false;
  try {
    const enqueue = (list: Entry[]) =>
      call(
        queue.addBulk(
          list.map((e) => ({
            name: `${e.sc.name}#${e.data.attempt}`,
            data: e.data,
            opts: { jobId: e.id, attempts: e.data.tries, backoff: { type: "exponential", delay: o.retryDelayMs ?? 5_000 }, removeOnComplete: false, removeOnFail: false },
          })),
        ),
        "enqueueing attempts",
      );
    if (pending.size) {
      await enqueue([...pending.values()]);
      o.sink.emit({ type: "log", level: "info", message: `farm ${o.target.display}: ${pending.size} attempt(s) queued (run ${o.store.runId})` });
    }
    let lastOk = Date.now();
    let lastWorker = Date.now();
    let lastLine = "";
    const skippedAt = new Map<string, number>();
    while (pending.size) {
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      let round = emptyRound<Entry>();
      try {
        round = await pollRound(poll, pending.values());
        for (const { e, r } of round.finished) {
          pending.delete(e.id);
          results.set(e.id, r);
          if (r.verdict === "skipped") skippedAt.set(e.sc.name, Math.min(skippedAt.get(e.sc.name) ?? Infinity, e.data.attempt));
        }
        if (round.missing.length) {
          for (const e of round.missing) o.sink.emit({ type: "log", level: "warn", message: `farm: job ${e.id} is not in Redis any more; enqueued again` });
          await enqueue(round.missing);
          round.queued.push(...round.missing);
        }
        // A kernel that lacks an option will not grow it on the next attempt: later attempts are dropped, as in a local run.
        // The round just read every job: one a worker is running finishes there; the others are removed.
        const running = new Set(round.active.map((a) => a.e.id));
        for (const [name, first] of skippedAt) {
          for (const e of [...pending.values()].filter((x) => x.sc.name === name && x.data.attempt > first)) {
            if (!running.has(e.id)) await call(queue.remove(e.id), "removing a job").catch(() => {});
            pending.delete(e.id);
          }
        }
        if (round.workersAlive) lastWorker = Date.now();
        lastOk = Date.now();
      } catch (err) {
        if (Date.now() - lastOk > redisLostMs) {
          keepJobs = true;
          const why = `${describeRedisError(o.target, err)}; no answer for ${Math.round((Date.now() - lastOk) / 1000)} s. The jobs stay queued: hangar run --redis URL --resume ${o.store.runId} collects them`;
          o.sink.emit({ type: "log", level: "error", message: why });
          for (const e of pending.values()) results.set(e.id, await farmInfra(o, e, why, false));
          pending.clear();
          break;
        }
      }
      if (pending.size && Date.now() - lastWorker > noWorkerMs) {
        const why = noWorkerReason(noWorkerMs);
        o.sink.emit({ type: "log", level: "error", message: why });
        for (const e of pending.values()) {
          results.set(e.id, await farmInfra(o, e, why, false));
          await call(queue.remove(e.id), "removing a job").catch(() => {});
        }
        pending.clear();
        break;
      }
      const line = progressLine(results.size, pending.size, round);
      if (line !== lastLine) {
        o.sink.emit({ type: "progress", step: "farm", message: line });
        lastLine = line;
      }
      if (pending.size) await sleep(pollMs, o.signal);
    }
    if (interrupted) {
      // Nothing new starts: queued jobs are taken back (--resume enqueues them again); running ones finish on their workers.
      for (const e of pending.values()) {
        // Only a job no worker took yet: a finished one is collected by --resume, not run again.
        await takeBackIfQueued(queue, e.id);
        results.set(e.id, await farmInfra(o, e, `not collected: the run was interrupted (hangar run --redis URL --resume ${o.store.runId} collects it)`, false));
      }
      keepJobs = true;
    }
    const summary = summarize(o, results, interrupted);
    await o.store.writeSummary(summary);
    if (!keepJobs) {
      // Everything is in the results tree now; the run's jobs leave Redis.
      for (const e of o.entries) {
        await call(queue.remove(e.id), "removing a job").catch(() => {});
        await call(o.redis.del(triesKey(e.id)), "removing a job's tries").catch(() => {});
      }
    }
    return summary;
  } finally {
    await withDeadline(queue.close(), 5_000, "closing the queue").catch(() => {});
    await closeRedis(bullConnection);
  }
}

/** An attempt already collected by an earlier coordinator of this run (final verdict.json with its job id). */
async function readCollected(dir: string, id: string): Promise<AttemptResult | undefined> {
  try {
    const v = JSON.parse(await readFile(join(dir, FILES.verdict), "utf8")) as AttemptResult & { farm?: { jobId?: string; final?: boolean } };
    if (v.farm?.jobId !== id || !v.farm.final) return undefined;
    const reports = JSON.parse(await readFile(join(dir, FILES.reports), "utf8").catch(() => "[]")) as AttemptResult["reports"];
    return { ...v, dir, reports };
  } catch {
    return undefined;
  }
}

function summarize(o: DriveOptions, results: Map<string, AttemptResult>, interrupted: boolean): RunSummary {
  const scenarios = o.scenarios.map((sc) => {
    let rs = o.entries.filter((e) => e.sc.name === sc.name && results.has(e.id)).map((e) => results.get(e.id)!);
    rs.sort((a, b) => a.attempt - b.attempt);
    // As a local run: nothing after the first skipped attempt.
    const skip = rs.find((r) => r.verdict === "skipped");
    if (skip) rs = rs.filter((r) => r.attempt <= skip.attempt);
    const starts = rs.map((r) => Date.parse(r.startedAt)).filter(Number.isFinite);
    const ends = rs.map((r) => Date.parse(r.startedAt) + r.durationMs).filter(Number.isFinite);
    const ms = starts.length ? Math.max(...ends) - Math.min(...starts) : 0;
    return summarizeScenario(sc, rs, ms);
  });
  return runSummary({ suite: o.suite, plan: o.plan, store: o.store }, scenarios, o.startedAt, interrupted);
}
