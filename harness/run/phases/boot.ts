import { timeout } from "../../common/index.ts";
import { useKernel } from "../../kernel/index.ts";
import type { AttemptContext } from "../context.ts";
import { unlessAborted } from "../watchdog.ts";
import type { PhaseResult } from "./types.ts";

/**
 * Start the machine, wait until it runs commands, then arm the heartbeat and follow the kernel
 * log. A built kernel is marked in use first, so `kernel build --rebuild` waits for the guest.
 */
export async function boot(ctx: AttemptContext): Promise<PhaseResult> {
  const { machine, watchdog, sink, name, plan } = ctx;
  if (plan.kernel.source === "build" && plan.kernel.id) {
    ctx.releaseKernel = await unlessAborted(useKernel(plan.kernel.id, { sink, signal: watchdog.signal }), watchdog.signal);
  }
  sink.emit({ type: "step", step: "vm.boot", status: "start", detail: name });
  const { bootMs } = await unlessAborted(machine.boot(Math.min(timeout("boot"), ctx.sc.deadline), watchdog.signal), watchdog.signal);
  ctx.facts.bootMs = bootMs;
  sink.emit({ type: "step", step: "vm.boot", status: "done", elapsedMs: bootMs, detail: name });
  watchdog.armHeartbeat();
  ctx.kernelLog = machine.followKernelLog(ctx.writeKernelLog);
  await ctx.onMachineReady?.(machine);
}
