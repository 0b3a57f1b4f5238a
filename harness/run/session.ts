/**
 * A guest kept up for a person or a benchmark rather than judged: the attempt's own phases
 * (preflight, boot, detectors, optionally storage and setup), then whatever the caller does,
 * then the attempt's teardown phases. `hangar ssh` and the boot benchmark use it.
 */
import { join } from "node:path";
import { errorMessage, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import type { MachineFactory, TeardownReport } from "../vm/index.ts";
import type { BootPlan } from "./boot-plan.ts";
import { createAttemptContext, type AttemptContext } from "./context.ts";
import { ATTEMPT_PHASES, type PhaseName, type PhaseOutcome } from "./phases/index.ts";

export interface SessionOptions {
  scenario: Scenario;
  plan: BootPlan;
  sink: EventSink;
  dir: string;
  /** Build the storage stack and run the setup steps too. */
  setup?: boolean;
  machineFactory?: MachineFactory;
}

export interface Session {
  ctx: AttemptContext;
  /** Storage down (when built), kernel log stopped, machine torn down. Never throws. */
  close(): Promise<TeardownReport | undefined>;
}

const OPEN: PhaseName[] = ["preflight", "boot", "detectors"];
const SETUP: PhaseName[] = ["storage", "setup"];
const CLOSE: PhaseName[] = ["storage-down", "collect", "teardown"];

/** Run the named phases in order, stopping at the first that is not ok. */
async function runNamed(ctx: AttemptContext, names: PhaseName[], outcomes: PhaseOutcome[]): Promise<void> {
  const state = (p: PhaseName) => outcomes.find((x) => x.phase === p)?.status;
  for (const def of ATTEMPT_PHASES.filter((d) => names.includes(d.name))) {
    if (!def.runs(state, outcomes)) continue;
    const t0 = Date.now();
    try {
      const r = await def.run(ctx, state);
      outcomes.push(r ? { phase: def.name, ...r, ms: Date.now() - t0 } : { phase: def.name, status: "ok", ms: Date.now() - t0 });
    } catch (err) {
      outcomes.push({ phase: def.name, status: "failed", reason: errorMessage(err), ms: Date.now() - t0 });
    }
  }
}

/** Boot a guest for the scenario; throws (after tearing down) when a phase on the way does not succeed. */
export async function startSession(o: SessionOptions): Promise<Session> {
  const ctx = createAttemptContext({ scenario: o.scenario, attempt: 0, name: o.scenario.name, dir: o.dir, plan: o.plan, sink: o.sink, writeKernelLog: () => {}, ...(o.machineFactory ? { machineFactory: o.machineFactory } : {}) });
  const outcomes: PhaseOutcome[] = [];
  const close = async () => {
    ctx.watchdog.stop();
    await runNamed(ctx, CLOSE, outcomes);
    return ctx.facts.teardown;
  };
  ctx.watchdog.start();
  await runNamed(ctx, o.setup ? [...OPEN, ...SETUP] : OPEN, outcomes);
  const bad = outcomes.find((x) => x.status !== "ok");
  if (bad) {
    await close();
    throw new Error(`${bad.phase} ${bad.status}: ${bad.reason ?? ""} (console: ${join(o.dir, "console.log")})`);
  }
  return { ctx, close };
}
