/** `hangar farm status`: the workers alive, their slots and what they run, and the queue. */
import { Queue, type Job } from "bullmq";
import { Redis } from "ioredis";
import { withDeadline } from "../common/index.ts";
import { closeRedis, connectRedis, redisOptions, type RedisTarget } from "./connection.ts";
import { QUEUE } from "./job.ts";
import { listWorkers, type WorkerRecord } from "./registry.ts";

export interface FarmStatus {
  redis: string;
  workers: WorkerRecord[];
  counts: Record<string, number>;
  /** Jobs running now: id, worker, phase (from the worker's progress). */
  active: { id: string; worker?: string; phase?: string; since?: string }[];
  /** The first queued jobs, next first. */
  waiting: string[];
}

const CALL_MS = 10_000;

export async function farmStatus(target: RedisTarget, o: { show?: number } = {}): Promise<FarmStatus> {
  const redis = await connectRedis(target, { name: "hangar:status" });
  const conn = new Redis(redisOptions(target, { name: "hangar:status:bull" }));
  conn.on("error", () => {});
  const queue = new Queue(QUEUE, { connection: conn });
  queue.on("error", () => {});
  try {
    const call = <T>(p: Promise<T>, what: string) => withDeadline(p, CALL_MS, what);
    const workers = await listWorkers(redis, CALL_MS);
    const counts = (await call(queue.getJobCounts("waiting", "prioritized", "delayed", "active", "completed", "failed"), "counting jobs")) as Record<string, number>;
    const active = ((await call(queue.getJobs(["active"], 0, (o.show ?? 50) - 1, true), "listing running jobs")) as Job[]).filter(Boolean).map((j) => {
      const p = (j.progress && typeof j.progress === "object" ? j.progress : {}) as { phase?: string };
      return { id: String(j.id), ...(j.processedBy ? { worker: j.processedBy } : {}), ...(p.phase ? { phase: p.phase } : {}), ...(j.processedOn ? { since: new Date(j.processedOn).toISOString() } : {}) };
    });
    const waiting = ((await call(queue.getJobs(["prioritized", "waiting"], 0, (o.show ?? 50) - 1, true), "listing queued jobs")) as Job[]).filter(Boolean).map((j) => String(j.id));
    return { redis: target.display, workers, counts, active, waiting };
  } finally {
    await withDeadline(queue.close(), 5_000, "closing the queue").catch(() => {});
    await closeRedis(conn);
    await closeRedis(redis);
  }
}
