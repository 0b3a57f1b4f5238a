/**
 * A test file's farm (vitest hooks; fixtures.ts stays free of vitest, since the worker
 * processes import it).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { setTimeScale, withDeadline } from "../../../harness/common/index.ts";
import { parseRedisUrl, type RedisTarget } from "../../../harness/farm/index.ts";
import type { WorkerProcess } from "./fixtures.ts";
import { startRedis, type TestRedis } from "./redis-server.ts";

/**
 * A test file's farm: a real redis-server and a temporary root, set up before its tests (time
 * scale 0.1) and removed after them; the workers pushed to `workers` are stopped then (SIGTERM,
 * then SIGKILL).
 */
export function farmBed(prefix: string): { redis: TestRedis; target: RedisTarget; root: string; workers: WorkerProcess[] } {
  const bed = { workers: [] as WorkerProcess[] } as { redis: TestRedis; target: RedisTarget; root: string; workers: WorkerProcess[] };
  beforeAll(async () => {
    setTimeScale(0.1);
    bed.redis = await startRedis();
    bed.target = parseRedisUrl(bed.redis.url);
    bed.root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const w of bed.workers.splice(0)) {
      w.proc.kill("SIGTERM");
      await withDeadline(w.proc, 30_000, "worker exit").catch(() => w.proc.kill("SIGKILL"));
    }
    await bed.redis?.stop();
    if (bed.root) await rm(bed.root, { recursive: true, force: true });
    setTimeScale(1);
  });
  return bed;
}

/** Every worker said it is ready (2 min at most). */
export async function workersReady(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) await withDeadline((async () => { while (!w.output().includes("ready")) await new Promise((r) => setTimeout(r, 100)); })(), 120_000, `${w.name} ready`);
}
