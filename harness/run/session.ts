/**
 * A guest kept up for a person or a benchmark rather than judged: the attempt's own phases
 * (preflight, boot, detectors, optionally storage and setup), then whatever the caller does,
 * then the attempt's teardown phases. `hangar ssh` and the boot benchmark use it.
 */
import { timeout, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import { parseReportsWithin } from "../detect/index.ts";
import type { MachineFactory, TeardownReport } from "../vm/index.ts";
import type { BootPlan } from "./boot-plan.ts";
import { withFreshBoots } from "./boot-retry.ts";
import { createAttemptContext, type AttemptContext } from "./context.ts";
import { consoleShows, failedBoot } from "./judge.ts";
import { readCapped } from "./logs.ts";
import { runPhases, type PhaseName, type PhaseOutcome } from "./phases/index.ts";

export interface SessionOptions {
  scenario: Scenario;
  plan: BootPlan;
  sink: EventSink;
  dir: string;
  /** Build the storage stack and run the setup steps too. */
  setup?: boolean;
  machineFactory?: MachineFactory;
  /** The session is being stopped (Ctrl-C): a machine that did not come up is not booted afresh. */
  signal?: AbortSignal;
}

export interface Session {
  ctx: AttemptContext;
  /** Storage down (when built), kernel log stopped, machine torn down. Never throws. */
  close(): Promise<TeardownReport | undefined>;
}

const OPEN: PhaseName[] = ["preflight", "boot", "detectors"];
const SETUP: PhaseName[] = ["storage", "setup"];
const CLOSE: PhaseName[] = ["storage-down", "collect", "teardown"];

/**
 * Boot a guest for the scenario; throws (after tearing down) when a phase on the way does not succeed.
 * A machine that did not come up is booted afresh first (see BOOT_RETRIES), unless `signal` aborted:
 * an interrupted session's QEMU is killed under it.
 */
export async function startSession(o: SessionOptions): Promise<Session> {
  const { result: s } = await withFreshBoots({ dir: o.dir, sink: o.sink, name: o.scenario.name, signal: o.signal }, () => sessionOnce(o), (s) => ("ctx" in s || !s.bootFailed ? undefined : s.why));
  if ("ctx" in s) return s;
  throw new Error(`${s.why} (console: ${s.consoleLog})`);
}

async function sessionOnce(o: SessionOptions): Promise<Session | { why: string; bootFailed: boolean; consoleLog: string }> {
  const ctx = createAttemptContext({ scenario: o.scenario, attempt: 0, name: o.scenario.name, dir: o.dir, plan: o.plan, sink: o.sink, writeKernelLog: () => {}, ...(o.machineFactory ? { machineFactory: o.machineFactory } : {}) });
  const outcomes: PhaseOutcome[] = [];
  const close = async () => {
    await runPhases(ctx, outcomes, CLOSE);
    return ctx.facts.teardown;
  };
  await runPhases(ctx, outcomes, o.setup ? [...OPEN, ...SETUP] : OPEN);
  const bad = outcomes.find((x) => x.status !== "ok" && x.status !== "not-run");
  if (!bad) return { ctx, close };
  await close();
  // what the kernel said, as an attempt's verdict would (a panic at boot ends QEMU with exit 0)
  const { reports } = parseReportsWithin(await readCapped(ctx.machine.consoleLog), { budgetMs: timeout("finalParse") });
  return { why: `${bad.phase} ${bad.status}: ${bad.reason ?? ""}${consoleShows(reports)}`, bootFailed: failedBoot(outcomes) !== undefined, consoleLog: ctx.machine.consoleLog };
}
