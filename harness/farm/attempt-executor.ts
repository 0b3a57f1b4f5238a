/**
 * Attempts on the farm one call at a time: an `AttemptExecutor` (what `runAttempt` is locally)
 * that turns each attempt into a job and resolves with the worker's result, its files written
 * into the attempt's folder. This is how `hangar nightly --redis` (every cell's attempts) and
 * `hangar bisect --redis` (the attempts of one commit) reach the farm.
 *
 * - The job id is the attempt's folder under the results root: `<night>/<kernel>/<scenario>/attempt-<n>`
 *   or `<bisect-id>/commits/<sha12>/attempt-<n>`. A re-run night has a new night id; a resumed
 *   bisect asks for the same folders again and gets the jobs that already exist (collected, not
 *   run again): nothing is duplicated.
 * - Calls made together (a matrix queued at once, a bisect step's group) go out as one `addBulk`,
 *   in the order they were made (the matrix is attempt-major), so every worker is busy.
 * - Each kernel is published once by content hash (artifacts.ts).
 * - Every wait has a deadline, as in `hangar run --redis`: each Redis call; Redis silent for
 *   `redisLostMs` (the attempts fail with RedisUnreachableError, their jobs stay for a resume);
 *   no worker alive for `noWorkerMs`; a job running past its scenario deadline plus `jobSlackMs`.
 */
import { relative, isAbsolute, sep } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { HangarError, sleep, withDeadline, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import type { AttemptExecutor, AttemptOptions, AttemptResult } from "../run/index.ts";
import type { KernelArtifact } from "../kernel/index.ts";
import { publishKernel } from "./artifacts.ts";
import { farmInfra, takeBackIfQueued, type JobEntry } from "./collect.ts";
import { emptyRound, noWorkerReason, pollRound, progressLine } from "./poll.ts";
import { closeRedis, connectRedis, describeRedisError, redisOptions, RedisUnreachableError, type RedisTarget } from "./connection.ts";
import type { FarmDeadlines } from "./coordinator.ts";
import { FARM_FORMAT, QUEUE, triesKey, type JobData, type KernelRef } from "./job.ts";
import { DEFAULT_LOG_CAP } from "./pack-logs.ts";
import { toWireScenario, type WireScenario } from "./scenario-wire.ts";

export interface FarmExecutorOptions extends FarmDeadlines {
  target: RedisTarget;
  sink: EventSink;
  /** The results root: an attempt's job id is its folder under it. */
  root: string;
  accel?: "auto" | "kvm" | "tcg";
  /** The time factor the scenarios were scaled by (recorded in each job). */
  timeFactor?: number;
  /** Tries of a job that ends `infra` before that verdict is final (default 3). */
  tries?: number;
  /** Per-file cap of the logs that come back (default 16 MiB, head and tail kept). */
  logCapBytes?: number;
  /** How the user collects what an interrupted run left on the farm (said in the reasons), e.g. "hangar bisect … --redis URL --resume". */
  resumeHint?: string;
}

export interface FarmExecutor {
  /** One attempt as a farm job: the worker's AttemptResult, its files in `o.dir`. */
  execute: AttemptExecutor;
  /** Job ids this executor put in the queue. */
  readonly enqueued: readonly string[];
  /** Job ids that were in Redis already (a resumed bisect): collected, not enqueued again. */
  readonly found: readonly string[];
  /**
   * Stop. Attempts still out fail ("closed"). `removeCollected`: the jobs this executor
   * collected leave Redis (their results are in the results tree), and so do the jobs of the
   * attempt folders in `removeDirs` (those an earlier invocation collected); otherwise they stay
   * for two weeks, for a resume.
   */
  close(o?: { removeCollected?: boolean; removeDirs?: readonly string[] }): Promise<void>;
}

/** Completed and failed jobs are kept this long for a resume, then BullMQ drops them. */
const KEEP_S = 14 * 24 * 3600;
const REDIS_CALL_MS = 10_000;

/** The job id of an attempt: its folder under the results root (BullMQ ids may not contain ':'). */
export function jobIdUnder(root: string, dir: string): string {
  const rel = relative(root, dir);
  if (!rel || rel.startsWith("..") || isAbsolute(rel)) throw new HangarError(`farm: the attempt folder ${dir} is not under the results root ${root}`);
  return rel.split(sep).join("/").replaceAll(":", "_");
}

interface Pending extends JobEntry {
  seq: number;
  signal?: AbortSignal;
  resolve: (r: AttemptResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Connect to the farm's Redis (RedisUnreachableError, exit 3, before anything is enqueued)
 * and return the executor.
 */
export async function openFarmExecutor(o: FarmExecutorOptions): Promise<FarmExecutor> {
  const redisLostMs = o.redisLostMs ?? 120_000;
  const noWorkerMs = o.noWorkerMs ?? 600_000;
  const jobSlackMs = o.jobSlackMs ?? 3_600_000;
  const pollMs = o.pollMs ?? 500;
  const tries = o.tries ?? 3;
  const logCapBytes = o.logCapBytes ?? DEFAULT_LOG_CAP;
  const ctx = { sink: o.sink, logCapBytes };
  const resume = o.resumeHint ? ` (${o.resumeHint} collects it)` : "";

  const redis = await connectRedis(o.target, { name: "hangar:coordinator" });
  const bullConnection = new Redis(redisOptions(o.target, { name: "hangar:coordinator:bull" }));
  bullConnection.on("error", () => {});
  const queue = new Queue(QUEUE, { connection: bullConnection });
  queue.on("error", () => {});
  const call = <T>(p: Promise<T>, what: string) => withDeadline(p, REDIS_CALL_MS, what);
  const poll = { ...ctx, queue, redis, jobSlackMs, callMs: REDIS_CALL_MS };

  const enqueued: string[] = [];
  const found: string[] = [];
  const collected = new Map<string, AttemptResult>();
  const inFlight = new Map<string, Promise<AttemptResult>>();
  const pending = new Map<string, Pending>();
  const kernels = new Map<string, Promise<KernelRef>>();
  const wires = new WeakMap<Scenario, WireScenario>();
  let batch: Pending[] = [];
  let seq = 0;
  let publishing = 0;
  let flushScheduled = false;
  let flushing: Promise<void> = Promise.resolve();
  let looping = false;
  let closed = false;

  const kernelRef = (k: KernelArtifact): Promise<KernelRef> => {
    const key = `${k.source}|${k.kernel}|${k.id ?? ""}`;
    let p = kernels.get(key);
    if (!p) {
      p = publishKernel(redis, k);
      p.catch(() => kernels.delete(key));
      kernels.set(key, p);
    }
    return p;
  };
  const wireOf = (sc: Scenario): WireScenario => {
    let w = wires.get(sc);
    if (!w) wires.set(sc, (w = toWireScenario(sc)));
    return w;
  };

  const settle = (p: Pending, r: AttemptResult) => {
    pending.delete(p.id);
    collected.set(p.id, r);
    p.resolve(r);
  };
  const fail = (p: Pending, err: unknown) => {
    pending.delete(p.id);
    p.reject(err);
  };

  /** Calls made together go out together, in call order, once every kernel they need is published. */
  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      if (publishing > 0) return; // the last publication to finish schedules it again
      const items = batch.sort((a, b) => a.seq - b.seq);
      batch = [];
      if (items.length) flushing = flushing.then(() => enqueue(items));
    });
  };

  const enqueue = async (items: Pending[]) => {
    try {
      const fresh: Pending[] = [];
      for (const p of items) {
        // A job of this id exists (a resumed bisect, or still running from before): it is collected, not enqueued again.
        if (await call(queue.getJob(p.id), "reading a job")) found.push(p.id);
        else fresh.push(p);
      }
      if (fresh.length) {
        await call(
          queue.addBulk(
            fresh.map((p) => ({
              name: `${p.sc.name}#${p.data.attempt}`,
              data: p.data,
              opts: { jobId: p.id, attempts: p.data.tries, backoff: { type: "exponential", delay: o.retryDelayMs ?? 5_000 }, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S } },
            })),
          ),
          "enqueueing attempts",
        );
        enqueued.push(...fresh.map((p) => p.id));
      }
      const again = items.length - fresh.length;
      o.sink.emit({ type: "log", level: "info", message: `farm ${o.target.display}: ${fresh.length} attempt(s) queued${again ? `, ${again} found from before (collected, not run again)` : ""}` });
      for (const p of items) pending.set(p.id, p);
      if (!looping) void loop();
    } catch (err) {
      const e = new RedisUnreachableError(`${describeRedisError(o.target, err)}; nothing more was enqueued`, { cause: err });
      for (const p of items) p.reject(e);
    }
  };

  const loop = async () => {
    looping = true;
    let lastOk = Date.now();
    let lastWorker = Date.now();
    let lastLine = "";
    try {
      while (pending.size && !closed) {
        let round = emptyRound<Pending>();
        try {
          for (const p of [...pending.values()].filter((x) => x.signal?.aborted)) {
            // Nothing new starts: a queued job is taken back; a running or finished one stays (a resume collects it).
            await takeBackIfQueued(queue, p.id);
            settle(p, await farmInfra(ctx, p, `not collected: the run was interrupted${resume}`, false));
          }
          round = await pollRound(poll, pending.values());
          for (const { e, r } of round.finished) settle(e, r);
          for (const p of round.missing) {
            o.sink.emit({ type: "log", level: "warn", message: `farm: job ${p.id} is not in Redis any more; enqueued again` });
            await call(queue.add(`${p.sc.name}#${p.data.attempt}`, p.data, { jobId: p.id, attempts: p.data.tries, backoff: { type: "exponential", delay: o.retryDelayMs ?? 5_000 }, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S } }), "enqueueing an attempt");
            round.queued.push(p);
          }
          if (round.workersAlive) lastWorker = Date.now();
          lastOk = Date.now();
        } catch (err) {
          if (Date.now() - lastOk > redisLostMs) {
            // The jobs stay queued; the attempts fail as hangar's infrastructure (exit 3), not as verdicts.
            const e = new RedisUnreachableError(`${describeRedisError(o.target, err)}; no answer for ${Math.round((Date.now() - lastOk) / 1000)} s. The jobs stay queued${resume}`, { cause: err });
            o.sink.emit({ type: "log", level: "error", message: e.message });
            for (const p of [...pending.values()]) fail(p, e);
            break;
          }
        }
        if (pending.size && Date.now() - lastWorker > noWorkerMs) {
          const why = noWorkerReason(noWorkerMs);
          o.sink.emit({ type: "log", level: "error", message: why });
          for (const p of [...pending.values()]) {
            await takeBackIfQueued(queue, p.id);
            settle(p, await farmInfra(ctx, p, why, false));
          }
          break;
        }
        const done = collected.size;
        const line = progressLine(done, pending.size, round);
        if (line !== lastLine) {
          o.sink.emit({ type: "progress", step: "farm", message: line });
          lastLine = line;
        }
        if (pending.size) await sleep(pollMs);
      }
    } finally {
      looping = false;
      // Attempts enqueued while this loop was ending are picked up by a new one.
      if (pending.size && !closed) void loop();
    }
  };

  const execute: AttemptExecutor = async (a: AttemptOptions): Promise<AttemptResult> => {
    if (closed) throw new HangarError("farm: the attempt executor is closed");
    const id = jobIdUnder(o.root, a.dir);
    // Asked again while it is out: the same job. (Asked again later: its job is found in Redis and collected again.)
    const known = inFlight.get(id);
    if (known) return known;
    const order = seq++;
    const p = new Promise<AttemptResult>((resolve, reject) => {
      void (async () => {
        publishing++;
        let kernel: KernelRef;
        try {
          kernel = await kernelRef(a.plan.kernel);
        } catch (err) {
          reject(err);
          return;
        } finally {
          publishing--;
          scheduleFlush();
        }
        const data: JobData = {
          format: FARM_FORMAT,
          runId: id.split("/")[0]!.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 128),
          scenario: wireOf(a.scenario),
          attempt: a.attempt,
          ...(o.timeFactor !== undefined ? { timeFactor: o.timeFactor } : {}),
          kernel,
          imageId: a.plan.image.id,
          accel: o.accel ?? "auto",
          tries,
          logCapBytes,
        };
        batch.push({ id, sc: a.scenario, data, dir: a.dir, seq: order, ...(a.signal ? { signal: a.signal } : {}), resolve, reject });
        scheduleFlush();
      })();
    });
    inFlight.set(id, p);
    void p.finally(() => inFlight.delete(id)).catch(() => {});
    return p;
  };

  return {
    execute,
    enqueued,
    found,
    async close(c = {}) {
      if (closed) return;
      closed = true;
      await flushing;
      const gone = new HangarError("farm: the attempt executor was closed before the attempt came back");
      for (const p of [...pending.values(), ...batch]) p.reject(gone);
      pending.clear();
      batch = [];
      try {
        if (c.removeCollected) {
          for (const id of new Set([...collected.keys(), ...(c.removeDirs ?? []).map((d) => jobIdUnder(o.root, d))])) {
            await call(queue.remove(id), "removing a job").catch(() => {});
            await call(redis.del(triesKey(id)), "removing a job's tries").catch(() => {});
          }
        }
      } finally {
        await withDeadline(queue.close(), 5_000, "closing the queue").catch(() => {});
        await closeRedis(bullConnection);
        await closeRedis(redis);
      }
    },
  };
}
