import { lastLines, timeout } from "../../common/index.ts";
import { stepTimeoutMs, type Step } from "../../config/index.ts";
import { runDurationEnv } from "../boot-plan.ts";
import { detachedCommands, JOIN_CGROUP, stepCommand, stepScript, sysrqTriggerCommand } from "../../guest/index.ts";
import type { AttemptContext, StepRecord } from "../context.ts";
import type { PhaseResult } from "./types.ts";

const TAIL = 4096;
const tail = (s: string) => (s.length > TAIL ? s.slice(-TAIL) : s);

/**
 * Run one phase's steps in order; background steps run alongside and are waited for at the
 * end. A step past its timeout dumps blocked tasks (SysRq w) and ends the phase as `stuck`;
 * a step that fails (and may not) ends it by throwing.
 */
export async function runSteps(ctx: AttemptContext, phase: Step["phase"]): Promise<PhaseResult> {
  let stuck: string | undefined;
  const check = async (step: Step, rec: StepRecord) => {
    ctx.facts.steps.push(rec);
    if (rec.timedOut) {
      if (stuck) return;
      stuck = `step "${step.name}" did not finish within ${stepTimeoutMs(step) / 1000} s`;
      ctx.sink.emit({ type: "log", level: "warn", message: `${ctx.name}: ${stuck}; dumping blocked tasks` });
      await ctx.exec(sysrqTriggerCommand("w"), timeout("guestShort")).catch(() => ctx.machine.sysrq("w").catch(() => {}));
    } else if (rec.exitCode !== 0 && !step.mayFail) {
      throw new Error(`step "${step.name}" exited ${rec.exitCode}: ${lastLines(rec.stderrTail)}`);
    }
  };
  const pending: Promise<StepRecord | Error>[] = [];
  try {
    for (const step of ctx.sc.steps.filter((s) => s.phase === phase)) {
      const run = runStep(ctx, step);
      if (step.background) {
        pending.push(run.then((rec) => check(step, rec).then(() => rec)).catch((err: Error) => err));
        continue;
      }
      await check(step, await run);
      if (stuck) break;
    }
  } finally {
    // Background steps end by their own duration or deadline; wait for them before going on.
    const failed = (await Promise.all(pending)).find((x): x is Error => x instanceof Error);
    if (failed) throw failed;
  }
  if (stuck) return { status: "stuck", reason: stuck };
}

async function runStep(ctx: AttemptContext, step: Step): Promise<StepRecord> {
  const { sc, sink, name } = ctx;
  await ctx.mark({ phase: step.phase, step: step.name });
  sink.emit({ type: "step", step: `guest.step.${step.name}`, status: "start", detail: name });
  const inCgroup = step.cgroup ?? (step.phase === "workload" && !!sc.pressure?.cgroup);
  const script = (inCgroup ? JOIN_CGROUP + "\n" : "") + stepScript(step, ctx.mounts);
  // Detached: a connection lost under load does not hang up the workload; the step is attached again.
  const cmds = detachedCommands(`${step.phase}-${step.name}`, stepCommand(script, { ...ctx.env, ...runDurationEnv(step) }));
  const r = await ctx.exec(cmds.start, stepTimeoutMs(step), { again: cmds.attach, what: `step "${step.name}"` });
  if (r.timedOut) await ctx.exec(cmds.kill, timeout("guestShort")).catch(() => {});
  sink.emit({
    type: "step",
    step: `guest.step.${step.name}`,
    status: r.timedOut || r.code !== 0 ? "fail" : "done",
    elapsedMs: r.durationMs,
    detail: r.timedOut ? "timed out" : `exit ${r.code}`,
  });
  return {
    name: step.name,
    phase: step.phase,
    exitCode: r.code,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
    stdoutTail: tail(r.stdout),
    stderrTail: tail(r.stderr),
    ...(r.reattached ? { reattached: r.reattached } : {}),
  };
}
