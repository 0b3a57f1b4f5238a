import { errorMessage, sleep, timeout } from "../../common/index.ts";
import type { AttemptContext } from "../context.ts";
import type { PhaseResult } from "./types.ts";

/**
 * Gather what the kernel has to say before the machine goes: after a watchdog trip, SysRq w
 * and t out of band (stacks of blocked and all tasks reach the console without SSH); then the
 * kernel-log follower drains and stops.
 */
export async function collect(ctx: AttemptContext): Promise<PhaseResult> {
  const { watchdog, machine, sink, name } = ctx;
  const trip = watchdog.reason;
  if (!trip) await ctx.mark({ phase: "collect" });
  if (trip && trip.kind !== "interrupted") {
    const sysrq: string[] = [];
    if (machine.running) {
      for (const key of ["w", "t"]) {
        try {
          await machine.sysrq(key);
          sysrq.push(`sysrq-${key}: sent out of band`);
          await sleep(timeout("sysrqSettle"));
        } catch (err) {
          sysrq.push(`sysrq-${key}: failed: ${errorMessage(err)}`);
        }
      }
    } else sysrq.push("sysrq: the machine had already exited");
    for (const l of sysrq) sink.emit({ type: "log", level: "info", message: `${name}: ${l}` });
    ctx.facts.watchdog = { tripped: trip.kind, detail: trip.detail, sysrq };
  } else if (trip) ctx.facts.watchdog = { tripped: trip.kind, detail: trip.detail, sysrq: [] };
  if (ctx.kernelLog) {
    ctx.facts.kernelLog = await ctx.kernelLog.stop(trip ? 0 : timeout("followerDrain"));
    const { gaps, restarts } = ctx.facts.kernelLog;
    if (gaps.length || restarts) {
      const lost = gaps.reduce((n, g) => n + g.lost, 0);
      sink.emit({ type: "log", level: "warn", message: `${name}: kernel log followed with ${restarts} restart(s)${gaps.length ? `, ${lost} record(s) lost in ${gaps.length} gap(s)` : ", nothing lost"} (the console log has everything the kernel printed)` });
    }
  }
}

/** Stop the machine (gracefully unless the watchdog tripped), then release its kernel. Never fails. */
export async function teardown(ctx: AttemptContext): Promise<PhaseResult> {
  ctx.facts.teardown = await ctx.machine.teardown({ graceful: !ctx.watchdog.reason });
  await ctx.releaseKernel?.().catch(() => {});
}
