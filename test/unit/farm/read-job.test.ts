/**
 * readJob on a real redis-server with a real BullMQ worker: a job that completes between the
 * coordinator's two reads is never reported "completed" without its result. The CI failure it
 * mends: the job object was read while the worker ran (returnvalue null), its state a moment
 * later said "completed", and a good attempt was recorded as `infra` ("a result hangar cannot read").
 */
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJob } from "../../../harness/farm/collect.ts";
import { redisOptions, parseRedisUrl } from "../../../harness/farm/connection.ts";
import { withDeadline } from "../../../harness/common/index.ts";
import { startRedis, type TestRedis } from "./redis-server.ts";

let redis: TestRedis;
const conns: Redis[] = [];
const conn = (name: string, worker = false) => {
  const c = new Redis({ ...redisOptions(parseRedisUrl(redis.url), { name }), ...(worker ? { maxRetriesPerRequest: null } : {}) });
  c.on("error", () => {});
  conns.push(c);
  return c;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of conns) c.disconnect();
  await redis?.stop();
});

describe("readJob", () => {
  it("a job that completes between the two reads is read as running, then as completed with its result", async () => {
    const queue = new Queue("read-job-test", { connection: conn("q") });
    let release!: () => void;
    const released = new Promise<void>((res) => (release = res));
    const worker = new Worker("read-job-test", async () => {
      await released;
      return { ok: 42 };
    }, { connection: conn("w", true) });
    try {
      await queue.add("a", {}, { jobId: "job-1" });
      await withDeadline((async () => {
        while ((await queue.getJobState("job-1")) !== "active") await new Promise((r) => setTimeout(r, 20));
      })(), 10_000, "the job becoming active");
      // The job completes right after its first read, whichever of the two reads that is.
      const completed = new Promise<void>((res) => worker.once("completed", () => res()));
      let first = true;
      const racing = new Proxy(queue, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if ((prop !== "getJob" && prop !== "getJobState") || typeof v !== "function") return v;
          return async (...args: unknown[]) => {
            const out = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            if (first) {
              first = false;
              release();
              await withDeadline(completed, 10_000, "the job completing");
            }
            return out;
          };
        },
      });
      const during = await readJob(racing, "job-1", 5_000);
      expect(during?.state).not.toBe("completed");
      const after = await readJob(queue, "job-1", 5_000);
      expect(after?.state).toBe("completed");
      expect((after?.job as Job).returnvalue).toEqual({ ok: 42 });
      expect(await readJob(queue, "no-such-job", 5_000)).toBeUndefined();
    } finally {
      release();
      await worker.close();
      await queue.close();
    }
  });
});
