/**
 * A farm worker in its own process for the farm tests: the real worker (BullMQ, Redis, kernel
 * fetch, log packing) with the scripted fake machine instead of QEMU. Stops on SIGTERM; the
 * tests also SIGKILL it mid-attempt.
 */
import { EventBus } from "../../../harness/common/index.ts";
import { parseRedisUrl, startWorker } from "../../../harness/farm/index.ts";
import { fakeFactory } from "../../fake/machine.ts";
import { HUNG_TASK } from "../../fake/reports.ts";
import { fakePlan } from "./fixtures.ts";

const bus = new EventBus();
bus.on((e) => {
  if (e.type === "log" || e.type === "verdict") process.stderr.write(`${JSON.stringify(e)}\n`);
});
const { factory } = fakeFactory({
  rules: [
    { match: /fake:repro/, print: HUNG_TASK },
    { match: /fake:slow/, delayMs: 3_000, print: HUNG_TASK },
    { match: /fake:long/, delayMs: 10_000, print: HUNG_TASK },
    { match: /fake:broken/, code: 2, stderr: "mkfs: no space" },
  ],
});
const worker = await startWorker({
  target: parseRedisUrl(process.env.FARM_REDIS!),
  name: process.env.FARM_NAME!,
  concurrency: Number(process.env.FARM_SLOTS ?? 1),
  sink: bus,
  machineFactory: factory,
  prepare: async () => fakePlan(),
  watchdog: { heartbeatEveryMs: 200, heartbeatTimeoutMs: 2_000, misses: 3 },
  lockDurationMs: Number(process.env.FARM_LOCK_MS ?? 2_000),
  stalledIntervalMs: 500,
});
process.stderr.write(`worker ${worker.name} ready\n`);
process.on("SIGTERM", () => {
  void worker.close().then(() => process.exit(0));
});
