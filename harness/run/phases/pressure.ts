import { errorMessage } from "../../common/index.ts";
import { describeEvidence } from "../../guest/index.ts";
import type { AttemptContext } from "../context.ts";
import { PressureStage } from "../pressure-stage.ts";
import type { PhaseResult } from "./types.ts";

/** Start the workload phase's memory pressure (and the counters' first snapshot). */
export async function pressure(ctx: AttemptContext): Promise<PhaseResult> {
  await ctx.mark({ phase: "workload" });
  const stage = new PressureStage(ctx.sc.pressure, (cmd, ms) => ctx.exec(cmd, ms, { again: true }));
  ctx.pressure = stage;
  await stage.start();
}

/**
 * Stop the pressure and keep its evidence. Pressure that was asked for but cannot be shown
 * in the counters makes a clean attempt `infra`: it did not test what it claims to.
 */
export async function evidence(ctx: AttemptContext): Promise<PhaseResult> {
  const ev = await ctx.pressure?.stop().catch((err) => {
    ctx.sink.emit({ type: "log", level: "warn", message: `${ctx.name}: pressure evidence not collected: ${errorMessage(err)}` });
    return undefined;
  });
  if (!ev) return;
  ctx.facts.pressure = ev;
  if (ev.asked && !ev.shown) return { status: "unproven", reason: `pressure was asked for but none was measured (${describeEvidence(ev)})` };
}
