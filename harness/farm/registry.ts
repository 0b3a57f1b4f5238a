/**
 * Workers say they are alive: each keeps a record in Redis (hangar:farm:worker:<name>) that
 * expires when it stops renewing it, so a dead worker drops out within a few heartbeats.
 */
import type { Redis } from "ioredis";
import { withDeadline } from "../common/index.ts";

export interface WorkerRecord {
  name: string;
  host: string;
  pid: number;
  slots: number;
  running: { job: string; scenario: string; attempt: number; since: string }[];
  startedAt: string;
  seenAt: string;
  format: number;
}

const PREFIX = "hangar:farm:worker:";
export const workerKey = (name: string) => `${PREFIX}${name}`;

/** Every worker alive now (its record not expired), by name. Bounded: SCAN with a deadline. */
export async function listWorkers(redis: Redis, deadlineMs = 10_000): Promise<WorkerRecord[]> {
  const scan = async (): Promise<WorkerRecord[]> => {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${PREFIX}*`, "COUNT", 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0" && keys.length < 10_000);
    if (!keys.length) return [];
    const values = await redis.mget(...keys);
    return values
      .flatMap((v) => {
        try {
          return v ? [JSON.parse(v) as WorkerRecord] : [];
        } catch {
          return [];
        }
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  };
  return withDeadline(scan(), deadlineMs, "listing farm workers");
}
