/**
 * `hangar worker`: takes attempt jobs from the farm's queue and runs each with `runAttempt` on
 * this machine. A job is data only (jobDataSchema): a scenario re-validated with the scenario
 * schema, a kernel fetched by id and sha256 and verified before every boot, the image built
 * here from this checkout's recipe (its id must equal the coordinator's). Nothing in a job
 * names a host command or a host path; the scenario's steps run inside the guest only.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { cacheDir, errorMessage, withDeadline, type EventSink, type HangarEvent } from "../common/index.ts";
import { prepareBoot, runAttempt, type AttemptOptions, type AttemptResult, type BootPlan } from "../run/index.ts";
import type { MachineFactory } from "../vm/index.ts";
import { fetchKernel, type FetchedKernel } from "./artifacts.ts";
import { closeRedis, connectRedis, redisOptions, type RedisTarget } from "./connection.ts";
import { FARM_FORMAT, QUEUE, jobDataSchema, triesKey, type JobData, type JobResult } from "./job.ts";
import { packAttemptFiles } from "./pack-logs.ts";
import { fromWireScenario } from "./scenario-wire.ts";
import { workerKey, type WorkerRecord } from "./registry.ts";

export interface WorkerOptions {
  target: RedisTarget;
  /** Attempts at once (guests). Default 1. */
  concurrency?: number;
  /** Default host:pid. */
  name?: string;
  sink: EventSink;
  /** Overrides the accelerator a job asks for (this machine knows best). */
  accel?: "auto" | "kvm" | "tcg";
  /** Where attempts run before their files go back (default <cache>/farm/work). */
  workDir?: string;
  /** Tests: the machine implementation, and a plan without building an image. */
  machineFactory?: MachineFactory;
  prepare?: (o: { kernelPath?: string; accel: "auto" | "kvm" | "tcg" }) => Promise<BootPlan>;
  watchdog?: AttemptOptions["watchdog"];
  /** BullMQ's job lock: a worker that dies loses its jobs after this long (default 30 s). */
  lockDurationMs?: number;
  /** How often stalled jobs (their worker died) are looked for (default 30 s). */
  stalledIntervalMs?: number;
}

export interface FarmWorker {
  name: string;
  /** Stop: running attempts are aborted (guests torn down) and their jobs go back to the queue. */
  close(): Promise<void>;
}

/** How often a worker says it is alive (farm status, the coordinator's "no worker" deadline). */
export const HEARTBEAT_MS = 5_000;
const REDIS_CALL_MS = 10_000;

/** Start a worker. Throws RedisUnreachableError (exit 3) when Redis cannot be reached. */
export async function startWorker(o: WorkerOptions): Promise<FarmWorker> {
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const slots = Math.max(1, o.concurrency ?? 1);
  const workDir = o.workDir ?? join(cacheDir(), "farm", "work");
  const sink = o.sink;
  const log = (level: "info" | "warn" | "debug", message: string) => sink.emit({ type: "log", level, message: `worker ${name}: ${message}` });
  let lastRedisError = 0;
  const onRedisError = (err: Error) => {
    // Reconnects are automatic; say so at most every 10 s.
    if (Date.now() - lastRedisError > 10_000) log("warn", `Redis: ${err.message} (reconnecting)`);
    lastRedisError = Date.now();
  };
  const redis = await connectRedis(o.target, { name: `hangar:worker:${name}`, onError: onRedisError });
  const running = new Map<string, { scenario: string; attempt: number; since: string; abort: AbortController }>();
  const plans = new Map<string, Promise<BootPlan>>();
  let closing = false;

  const planFor = (data: JobData, kernel: FetchedKernel | undefined): Promise<BootPlan> => {
    const accel = o.accel ?? data.accel;
    const key = `${kernel?.dir ?? "image"}|${accel}`;
    let p = plans.get(key);
    if (!p) {
      const prepare = o.prepare ?? ((x) => prepareBoot({ sink, accel: x.accel, ...(x.kernelPath ? { kernelPath: x.kernelPath } : {}) }));
      p = prepare({ accel, ...(kernel ? { kernelPath: kernel.kernel } : {}) }).then((plan) =>
        kernel
          ? {
              ...plan,
              kernel: {
                ...plan.kernel,
                // A bzImage in this worker's farm cache (content-addressed, verified): not a
                // kernel of this machine's build cache, which `source: "build"` would look up.
                source: "path",
                id: kernel.id,
                ...(kernel.version ? { version: kernel.version } : {}),
                ...(kernel.config ? { config: kernel.config } : {}),
                modules: kernel.modules,
              },
            }
          : plan,
      );
      plans.set(key, p);
      p.catch(() => plans.delete(key));
    }
    return p;
  };

  const handle = async (job: Job, token?: string): Promise<JobResult> => {
    const tryNo = job.attemptsMade + 1;
    const parsed = jobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`job ${job.id}: not a hangar farm job of format ${FARM_FORMAT}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
    const data = parsed.data;
    const sc = await fromWireScenario(data.scenario as never).catch((err: unknown) => {
      throw new UnrecoverableError(`worker ${name}: ${errorMessage(err)}`);
    });
    const abort = new AbortController();
    running.set(String(job.id), { scenario: sc.name, attempt: data.attempt, since: new Date().toISOString(), abort });
    const dir = join(workDir, `${String(job.id).replace(/[^A-Za-z0-9._-]/g, "_")}-try${tryNo}-${randomBytes(3).toString("hex")}`);
    try {
      let r: AttemptResult;
      try {
        const kernel = data.kernel.source === "image" ? undefined : await fetchKernel(redis, data.kernel);
        const plan = await planFor(data, kernel);
        if (plan.image.id !== data.imageId) {
          throw new Error(`this worker's guest image is ${plan.image.id}, the coordinator's is ${data.imageId}: run the same hangar version (same vm-images recipe) on both`);
        }
        const jobSink: EventSink = {
          emit(e: HangarEvent) {
            sink.emit(e);
            if (e.type === "phase") job.updateProgress({ phase: e.phase, worker: name }).catch(() => {});
          },
        };
        await job.updateProgress({ phase: "boot", worker: name }).catch(() => {});
        r = await runAttempt({
          scenario: sc,
          attempt: data.attempt,
          dir,
          plan,
          sink: jobSink,
          signal: abort.signal,
          ...(o.machineFactory ? { machineFactory: o.machineFactory } : {}),
          ...(o.watchdog ? { watchdog: o.watchdog } : {}),
        });
      } catch (err) {
        r = infraResult(sc.name, data.attempt, dir, `worker ${name}: ${errorMessage(err)}`);
      }
      if (closing && token) {
        // Stopped on purpose: the job goes back to the queue without using up a try.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (r.verdict === "infra" && tryNo < data.tries) {
        // Retried (BullMQ backoff), perhaps on another worker; the reason is kept for the final result.
        const why = `try ${tryNo} on ${name}: ${r.reason ?? "infra"}`;
        await withDeadline(redis.multi().rpush(triesKey(String(job.id)), why.slice(0, 4000)).expire(triesKey(String(job.id)), 14 * 24 * 3600).exec(), REDIS_CALL_MS, "recording a try").catch(() => {});
        const e = new Error(why);
        e.stack = why;
        throw e;
      }
      const earlier = await withDeadline(redis.lrange(triesKey(String(job.id)), 0, 19), REDIS_CALL_MS, "reading earlier tries").catch(() => [] as string[]);
      const { dir: _local, ...result } = r;
      return { format: FARM_FORMAT, worker: name, result: result as unknown as JobResult["result"], files: await packAttemptFiles(dir, data.logCapBytes), earlier };
    } finally {
      running.delete(String(job.id));
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  };

  const bullConnection = new Redis(redisOptions(o.target, { name: `hangar:worker:${name}:bull` }));
  bullConnection.on("error", onRedisError);
  const worker = new Worker(QUEUE, handle, {
    connection: bullConnection,
    name,
    concurrency: slots,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    // A worker SIGKILLed mid-attempt: its job goes back to the queue (twice at most).
    maxStalledCount: 2,
    autorun: true,
  });
  worker.on("error", (err) => onRedisError(err));
  worker.on("failed", (job, err) => {
    if (job && !(err instanceof WaitingError)) log("debug", `job ${job.id} failed on this worker: ${err.message}`);
  });
  log("info", `taking jobs from ${o.target.display} (queue ${QUEUE}, ${slots} slot(s))`);

  const record = (): WorkerRecord => ({
    name,
    host: hostname(),
    pid: process.pid,
    slots,
    running: [...running.entries()].map(([job, x]) => ({ job, scenario: x.scenario, attempt: x.attempt, since: x.since })),
    startedAt,
    seenAt: new Date().toISOString(),
    format: FARM_FORMAT,
  });
  const startedAt = new Date().toISOString();
  const beat = async () => {
    await withDeadline(redis.set(workerKey(name), JSON.stringify(record()), "PX", HEARTBEAT_MS * 4), REDIS_CALL_MS, "worker heartbeat").catch(() => {});
  };
  await beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();

  return {
    name,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(timer);
      for (const x of running.values()) x.abort.abort();
      // Aborted attempts tear their guests down (teardown has its own deadlines); then BullMQ lets go.
      await withDeadline(worker.close(), 120_000, `worker ${name}: closing`).catch(async (err: unknown) => {
        log("warn", `${errorMessage(err)}; forcing`);
        await withDeadline(worker.close(true), 10_000, "forced close").catch(() => {});
      });
      await withDeadline(redis.del(workerKey(name)), 3_000, "worker record").catch(() => {});
      await closeRedis(redis);
      // BullMQ does not close a connection it was given.
      await closeRedis(bullConnection);
    },
  };
}

function infraResult(scenario: string, attempt: number, dir: string, reason: string): AttemptResult {
  return { scenario, attempt, verdict: "infra", reason, dir, reports: [], storage: [], steps: [], phases: [], startedAt: new Date().toISOString(), durationMs: 0 };
}
