import { sleep } from "../../common/index.ts";
import type { AttemptContext } from "../context.ts";
import { unlessAborted } from "../watchdog.ts";
import { runSteps } from "./steps.ts";
import type { PhaseResult } from "./types.ts";

/**
 * The cooldown always happens once the guest is up: detectors need time after the workload.
 * After a stuck step only the wait remains (the stuck step's stack will not come down cleanly).
 */
export async function cooldown(ctx: AttemptContext, afterStuck: boolean): Promise<PhaseResult> {
  await ctx.mark({ phase: "cooldown" });
  const r = afterStuck ? undefined : await runSteps(ctx, "cooldown");
  await unlessAborted(sleep(ctx.sc.cooldown), ctx.watchdog.signal);
  return r;
}
