import type { Command } from "commander";
import { EventBus, guarded } from "../common/index.ts";
import { checkRedis, startWorker } from "../farm/index.ts";
import { parseAccel, parsePositiveInt } from "./args.ts";
import { redisCliOptions, redisTarget, type RedisCliOptions } from "./farm.ts";
import { ensureHost } from "./host-requirements.ts";
import { attachRenderer } from "./render.ts";

export function registerWorker(program: Command): void {
  redisCliOptions(
    program
      .command("worker")
      .description("take attempts from the farm's queue and run them in guests on this machine, until stopped (SIGTERM/Ctrl-C)")
      .option("-j, --jobs <n>", "attempts at once (guests; default 1)", parsePositiveInt, 1)
      .option("--name <name>", "this worker's name in `hangar farm status` (default host:pid)")
      .option("--accel <mode>", "accelerator for every attempt here: auto, kvm or tcg (default: what the coordinator asked)", parseAccel)
      .option("-v, --verbose", "show debug messages and every progress line"),
    { required: true },
  ).action(async (opts: RedisCliOptions & { jobs: number; name?: string; accel?: "auto" | "kvm" | "tcg"; verbose?: boolean }) => {
    const target = redisTarget(opts);
    const bus = new EventBus();
    attachRenderer(bus, { verbose: !!opts.verbose });
    // Redis first: a wrong URL or password is said at once (exit 3), before any install.
    const { version } = await checkRedis(target);
    bus.emit({ type: "log", level: "info", message: `Redis ${version} at ${target.display}` });
    const missing = await ensureHost(true, (l) => bus.emit({ type: "progress", step: "host.install", message: l }));
    if (missing.length) throw new Error(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")} (see hangar doctor)`);
    const worker = await startWorker({ target, concurrency: opts.jobs, sink: bus, ...(opts.name ? { name: opts.name } : {}), ...(opts.accel ? { accel: opts.accel } : {}) });
    // Runs until SIGTERM/Ctrl-C: then running attempts are aborted (guests torn down) and their jobs go back to the queue.
    await guarded(async (signal) => {
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
      await worker.close();
    });
  });
}
