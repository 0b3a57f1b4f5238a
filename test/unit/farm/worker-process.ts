/**
 * A farm worker in its own process for the farm tests: the real worker (BullMQ, Redis, kernel
 * fetch, log packing) with the scripted fake machine instead of QEMU (fixtures.ts: the fake
 * guest of a bad kernel, one whose fetched bzImage carries the marker, shows the bug). Each
 * machine made for an attempt is logged as `fake-machine <attempt folder>` so tests can count what ran. Stops on SIGTERM; the
 * tests also SIGKILL it mid-attempt.
 */
import { basename } from "node:path";
import { EventBus } from "../../../harness/common/index.ts";
import { parseRedisUrl, startWorker } from "../../../harness/farm/index.ts";
import { farmMachineFactory, fakePlan, pathPlan } from "./fixtures.ts";

const bus = new EventBus();
bus.on((e) => {
  if (e.type === "log" || e.type === "verdict") process.stderr.write(`${JSON.stringify(e)}\n`);
});
const worker = await startWorker({
  target: parseRedisUrl(process.env.FARM_REDIS!),
  name: process.env.FARM_NAME!,
  concurrency: Number(process.env.FARM_SLOTS ?? 1),
  sink: bus,
  machineFactory: farmMachineFactory((spec) => process.stderr.write(`fake-machine ${basename(spec.workDir)}\n`)),
  // The kernel the job names, fetched into this worker's cache (the image's own otherwise).
  prepare: async (x) => (x.kernelPath ? pathPlan(x.kernelPath) : fakePlan()),
  watchdog: { heartbeatEveryMs: 200, heartbeatTimeoutMs: 2_000, misses: 3 },
  lockDurationMs: Number(process.env.FARM_LOCK_MS ?? 2_000),
  stalledIntervalMs: 500,
});
process.stderr.write(`worker ${worker.name} ready\n`);
process.on("SIGTERM", () => {
  void worker.close().then(() => process.exit(0));
});
