/**
 * A guest kept up for a person or a benchmark rather than judged: the attempt's own phases
 * (preflight, boot, detectors, optionally storage and setup), then whatever the caller does,
 * then the attempt's teardown phases. `hangar ssh` and the boot benchmark use it.
 */
import { join } from "node:path";
import type { EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import type { MachineFactory, TeardownReport } from "../vm/index.ts";
import type { BootPlan } from "./boot-plan.ts";
import { createAttemptContext, type AttemptContext } from "./context.ts";
import { runPhases, type PhaseName, type PhaseOutcome } from "./phases/index.ts";

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

/** Boot a guest for the scenario; throws (after tearing down) when a phase on the way does not succeed. */
export async function startSession(o: SessionOptions): Promise<Session> {
  const ctx = createAttemptContext({ scenario: o.scenario, attempt: 0, name: o.scenario.name, dir: o.dir, plan: o.plan, sink: o.sink, writeKernelLog: () => {}, ...(o.machineFactory ? { machineFactory: o.machineFactory } : {}) });
  const outcomes: PhaseOutcome[] = [];
  const close = async () => {
    await runPhases(ctx, outcomes, CLOSE);
    return ctx.facts.teardown;
  };
  await runPhases(ctx, outcomes, o.setup ? [...OPEN, ...SETUP] : OPEN);
  const bad = outcomes.find((x) => x.status !== "ok" && x.status !== "not-run");
  if (bad) {
    await close();
    throw new Error(`${bad.phase} ${bad.status}: ${bad.reason ?? ""} (console: ${join(o.dir, "console.log")})`);
  }
  return { ctx, close };
}
