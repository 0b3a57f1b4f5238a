import { timeout } from "../../common/index.ts";
import { shJoin, workloadDirs } from "../../guest/index.ts";
import type { AttemptContext } from "../context.ts";
import { buildStorage, mountPoints, storageEnvironment, teardownStorage } from "../storage-stage.ts";
import type { PhaseResult } from "./types.ts";

/**
 * Build the scenario's storage stack, layer by layer (records kept as they are made), and the
 * workloads' directories on it while it has room (workloads.ts: workloadDirs).
 */
export async function storage(ctx: AttemptContext): Promise<PhaseResult> {
  const { sc } = ctx;
  await ctx.mark({ phase: "setup" });
  const outputs = await buildStorage(sc.storage, ctx.machine.disks, ctx.exec, ctx.facts.storage, (layer) =>
    ctx.mark({ phase: "setup", step: `storage.${layer.name}` }),
  );
  Object.assign(ctx.env, storageEnvironment(outputs, sc.storage));
  ctx.mounts = mountPoints(outputs);
  const dirs = workloadDirs(sc.steps, ctx.mounts);
  if (dirs.length) {
    const r = await ctx.exec(shJoin(["mkdir", "-p", "--", ...dirs]), timeout("guestShort"), { again: true });
    if (r.code !== 0) throw new Error(`workload directories: ${r.timedOut ? "timed out" : r.stderr.trim() || `exit ${r.code}`}`);
  }
}

/**
 * Take the stack down in reverse. A layer that will not come down is recorded on the layer
 * (storage.json, the summary's storage lines), not judged: the workload is over by then.
 */
export async function storageDown(ctx: AttemptContext): Promise<PhaseResult> {
  if (!ctx.sc.storage.length) return;
  await ctx.mark({ phase: "teardown" });
  await teardownStorage(ctx.sc.storage, ctx.facts.storage, ctx.exec);
}
