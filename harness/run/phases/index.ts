/**
 * The attempt's phases in order, each with the rule that says whether it runs given the
 * outcomes so far. A phase that throws is `failed` (or `aborted` when the watchdog tripped).
 */
import { errorMessage } from "../../common/index.ts";
import type { AttemptContext } from "../context.ts";
import { boot } from "./boot.ts";
import { collect, teardown } from "./collect.ts";
import { cooldown } from "./cooldown.ts";
import { detectors } from "./detectors.ts";
import { preflight } from "./preflight.ts";
import { evidence, pressure } from "./pressure.ts";
import { runSteps } from "./steps.ts";
import { storage, storageDown } from "./storage.ts";
import type { PhaseName, PhaseOutcome, PhaseResult, PhaseStatus } from "./types.ts";

export type { PhaseName, PhaseOutcome, PhaseResult, PhaseStatus } from "./types.ts";
export { PHASES } from "./types.ts";

/** What a rule sees: the status of each phase that has an outcome. */
export type PhaseState = (phase: PhaseName) => PhaseStatus | undefined;

export interface PhaseDef {
  name: PhaseName;
  runs(s: PhaseState, all: readonly PhaseOutcome[]): boolean;
  run(ctx: AttemptContext, s: PhaseState): Promise<PhaseResult>;
}

const any = (all: readonly PhaseOutcome[], ...st: PhaseStatus[]) => all.some((o) => st.includes(o.status));
/** Nothing has gone wrong so far. */
const clear = (_: PhaseState, all: readonly PhaseOutcome[]) => !any(all, "skipped", "failed", "stuck", "aborted");
/** The machine was started (even if booting it failed): it must be collected and torn down. */
const started = (s: PhaseState) => s("boot") !== undefined && s("boot") !== "not-run";

export const ATTEMPT_PHASES: readonly PhaseDef[] = [
  { name: "preflight", runs: () => true, run: preflight },
  { name: "boot", runs: clear, run: boot },
  { name: "detectors", runs: clear, run: detectors },
  { name: "storage", runs: clear, run: storage },
  { name: "setup", runs: clear, run: (ctx) => runSteps(ctx, "setup") },
  { name: "pressure", runs: clear, run: pressure },
  { name: "workload", runs: clear, run: (ctx) => runSteps(ctx, "workload") },
  { name: "evidence", runs: (s, all) => s("pressure") === "ok" && !any(all, "aborted"), run: evidence },
  {
    name: "cooldown",
    // After a stuck step the detectors still need their time; after a failure there is nothing to wait for.
    runs: (s, all) => s("boot") === "ok" && !any(all, "skipped", "failed", "aborted"),
    run: (ctx, s) => cooldown(ctx, [s("setup"), s("workload")].includes("stuck")),
  },
  { name: "storage-down", runs: (s, all) => s("storage") === "ok" && !any(all, "stuck", "aborted"), run: storageDown },
  { name: "collect", runs: started, run: collect },
  { name: "teardown", runs: started, run: teardown },
];

/**
 * Run the phases (all, or the named ones) in order, appending an outcome for each to
 * `outcomes`: `not-run` when its rule rules it out, `failed` when it throws, `aborted` when the
 * watchdog tripped under it. The watchdog starts with the boot and stops before the collection
 * (from there on the machine is taken down on purpose: its exit is not a trip).
 */
export async function runPhases(ctx: AttemptContext, outcomes: PhaseOutcome[] = [], names?: readonly PhaseName[]): Promise<PhaseOutcome[]> {
  const state = (p: PhaseName): PhaseStatus | undefined => outcomes.find((x) => x.phase === p)?.status;
  for (const def of ATTEMPT_PHASES) {
    if (names && !names.includes(def.name)) continue;
    if (!def.runs(state, outcomes)) {
      outcomes.push({ phase: def.name, status: "not-run", ms: 0 });
      continue;
    }
    if (def.name === "boot") ctx.watchdog.start();
    if (def.name === "collect") ctx.watchdog.stop();
    const t0 = Date.now();
    let outcome: PhaseOutcome;
    try {
      const r = await def.run(ctx, state);
      outcome = r ? { phase: def.name, ...r, ms: Date.now() - t0 } : { phase: def.name, status: "ok", ms: Date.now() - t0 };
    } catch (err) {
      outcome = { phase: def.name, status: "failed", reason: errorMessage(err), ms: Date.now() - t0 };
    }
    // Whatever a phase was doing when the watchdog tripped, the trip is the reason it ended.
    const trip = ctx.watchdog.reason;
    if (trip && def.name !== "collect" && def.name !== "teardown" && (outcome.status === "ok" || outcome.status === "failed")) {
      outcome = { ...outcome, status: "aborted", reason: trip.detail };
    }
    outcomes.push(outcome);
  }
  return outcomes;
}
