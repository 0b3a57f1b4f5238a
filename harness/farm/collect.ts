/**
 * The coordinator's side of one finished job: a worker's result written into the attempt's
 * folder of the results tree (its files unpacked within the cap, verdict.json naming our folder,
 * the worker and the job), or an `infra` attempt when the farm could not give a verdict.
 * Shared by `hangar run --redis` (coordinator.ts) and the attempt executor of nightly and bisect.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Job, Queue } from "bullmq";
import { errorMessage, withDeadline, writeJsonAtomic, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import { FILES } from "../results/index.ts";
import type { AttemptResult } from "../run/index.ts";
import { jobResultSchema, type JobData } from "./job.ts";
import { unpackAttemptFiles } from "./pack-logs.ts";

/** One attempt as a job: its id, scenario, job data and the folder its result goes to. */
export interface JobEntry {
  id: string;
  sc: Scenario;
  data: JobData;
  dir: string;
}

export interface CollectContext {
  sink: EventSink;
  /** Per-file cap of the logs that come back. */
  logCapBytes: number;
}

/** A completed job: its files into the attempt folder, its verdict.json naming our folder and the worker. */
export async function collectCompleted(o: CollectContext, e: JobEntry, job: Job): Promise<AttemptResult> {
  const parsed = jobResultSchema.safeParse(job.returnvalue);
  if (!parsed.success) {
    return farmInfra(o, e, `worker ${job.processedBy ?? "?"} sent a result hangar cannot read: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, true);
  }
  const res = parsed.data;
  if (res.result.scenario !== e.sc.name || res.result.attempt !== e.data.attempt) {
    return farmInfra(o, e, `worker ${res.worker} sent the result of ${res.result.scenario}#${res.result.attempt} for job ${e.id}`, true);
  }
  const dir = e.dir;
  await unpackAttemptFiles(res.files, dir, o.logCapBytes);
  const reason = res.earlier.length && res.result.verdict === "infra" ? `${res.result.reason ?? "infra"} (after ${res.earlier.length + 1} tries: ${res.earlier.join("; ")})` : res.result.reason;
  const r = { ...(res.result as unknown as AttemptResult), dir, ...(reason ? { reason } : {}) };
  const verdict = await readFile(join(dir, FILES.verdict), "utf8").then((t) => JSON.parse(t) as Record<string, unknown>).catch(() => ({ ...r, reports: r.reports.map((x) => ({ kind: x.kind, title: x.title, signature: x.signature, count: x.count })) }));
  await writeJsonAtomic(join(dir, FILES.verdict), { ...verdict, dir, ...(reason ? { reason } : {}), farm: { jobId: e.id, worker: res.worker, earlier: res.earlier, final: true, files: res.files.map((f) => ({ name: f.name, bytes: f.bytes, cutBytes: f.cutBytes })) } });
  o.sink.emit({ type: "verdict", scenario: e.sc.name, attempt: e.data.attempt, verdict: r.verdict, detail: `on ${res.worker}${r.reason ? `: ${r.reason}` : ""}` });
  return r;
}

/**
 * An attempt the farm could not get a verdict for: `infra` with the reason, recorded in its
 * folder. `final`: the job itself ended (failed); otherwise --resume may still collect it.
 */
export async function farmInfra(o: CollectContext, e: JobEntry, reason: string, final: boolean): Promise<AttemptResult> {
  const dir = e.dir;
  const r: AttemptResult = { scenario: e.sc.name, attempt: e.data.attempt, verdict: "infra", reason: `farm: ${reason}`, dir, reports: [], storage: [], steps: [], phases: [], startedAt: new Date().toISOString(), durationMs: 0 };
  await writeJsonAtomic(join(dir, FILES.verdict), { ...r, farm: { jobId: e.id, final } }).catch((err: unknown) => {
    r.reason = `${r.reason}; and ${errorMessage(err)}`;
  });
  o.sink.emit({ type: "verdict", scenario: e.sc.name, attempt: e.data.attempt, verdict: "infra", detail: r.reason });
  return r;
}

/**
 * A job's state, then the job: in that order, because a Job is a snapshot. A job read while
 * it ran keeps `returnvalue: null` even when its state, read a moment later, is "completed"
 * (seen in CI: a good result recorded as unreadable). A state read first is final once it is
 * "completed" or "failed", so the job read after it carries the result. Undefined: not in Redis.
 */
export async function readJob(queue: Queue, id: string, deadlineMs: number): Promise<{ job: Job; state: string } | undefined> {
  const state = await withDeadline(queue.getJobState(id), deadlineMs, "reading a job's state");
  if (state === "unknown") return undefined;
  const job = (await withDeadline(queue.getJob(id), deadlineMs, "reading a job")) as Job | undefined;
  return job ? { job, state } : undefined;
}

const QUEUED = new Set(["waiting", "prioritized", "delayed", "waiting-children"]);

/**
 * Take a job back out of the queue when no worker has taken it yet (Ctrl-C: nothing new
 * starts). A running or finished job stays: its result is for a resume. Never throws.
 */
export async function takeBackIfQueued(queue: Queue, id: string, deadlineMs = 10_000): Promise<void> {
  try {
    const read = await readJob(queue, id, deadlineMs);
    if (!read || !QUEUED.has(read.state)) return;
    await withDeadline(queue.remove(id), deadlineMs, "removing a job");
  } catch {
    /* left in the queue: a resume or the workers deal with it */
  }
}
