/**
 * One look at the farm's jobs, shared by `hangar run --redis` (coordinator.ts) and the attempt
 * executor of nightly and bisect: each pending attempt's job read (state first, see readJob),
 * a finished one collected into its folder, an overdue one given up, and the rest sorted into
 * queued and running for the progress line. What to do with the outcome (settle a promise,
 * fill a summary, enqueue a lost job again) stays with the caller.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { AttemptResult } from "../run/index.ts";
import { collectCompleted, farmInfra, readJob, type CollectContext, type JobEntry } from "./collect.ts";
import { listWorkers } from "./registry.ts";

export interface PollContext extends CollectContext {
  queue: Queue;
  /** The coordinator's plain connection (worker registry). */
  redis: Redis;
  /** A job running this long past its scenario's deadline is given up (`infra`, its job kept for a resume). */
  jobSlackMs: number;
  /** Deadline of each Redis call. */
  callMs: number;
}

export interface PollRound<E extends JobEntry> {
  /** Completed, failed or overdue: the attempt's result, written into its folder. */
  finished: { e: E; r: AttemptResult }[];
  /** Not in Redis any more (a Redis without persistence restarted, or removed by hand): enqueue it again. */
  missing: E[];
  queued: E[];
  active: { e: E; worker: string }[];
  /** At least one worker is registered. */
  workersAlive: boolean;
}

/** A round that saw nothing (Redis did not answer): the progress line shows nothing queued or running. */
export const emptyRound = <E extends JobEntry>(): PollRound<E> => ({ finished: [], missing: [], queued: [], active: [], workersAlive: false });

/** Read every entry's job once. Throws when Redis does not answer (the caller counts how long). */
export async function pollRound<E extends JobEntry>(o: PollContext, entries: Iterable<E>): Promise<PollRound<E>> {
  const round = emptyRound<E>();
  const now = Date.now();
  for (const e of entries) {
    const read = await readJob(o.queue, e.id, o.callMs);
    if (!read) {
      round.missing.push(e);
      continue;
    }
    const { job, state } = read;
    const worker = job.processedBy ?? "?";
    if (state === "completed") round.finished.push({ e, r: await collectCompleted(o, e, job) });
    else if (state === "failed") round.finished.push({ e, r: await farmInfra(o, e, `${job.processedBy ? `on worker ${worker}: ` : ""}${job.failedReason || "the job failed"}`, true) });
    else if (state !== "active") round.queued.push(e);
    else if (now - (job.processedOn ?? now) > e.sc.deadline + o.jobSlackMs) {
      round.finished.push({ e, r: await farmInfra(o, e, `worker ${worker} did not finish within the scenario deadline plus ${Math.round(o.jobSlackMs / 60_000)} min`, false) });
    } else round.active.push({ e, worker });
  }
  round.workersAlive = (await listWorkers(o.redis, o.callMs)).length > 0;
  return round;
}

/** "3/8 done · 2 queued · 1 running: name#2 on w1" */
export function progressLine(done: number, pending: number, round: Pick<PollRound<JobEntry>, "queued" | "active">): string {
  const { queued, active } = round;
  return `${done}/${done + pending} done · ${queued.length} queued · ${active.length} running${active.length ? `: ${active.map((a) => `${a.e.sc.name}#${a.e.data.attempt} on ${a.worker}`).join(", ")}` : ""}`;
}

/** Why the attempts still out are given up when no worker has been alive for `noWorkerMs`. */
export const noWorkerReason = (noWorkerMs: number) => `no farm worker alive for ${Math.round(noWorkerMs / 1000)} s (start one: hangar worker --redis URL)`;
