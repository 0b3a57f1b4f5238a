import { hostname } from "node:os";
import pLimit from "p-limit";
import { errorMessage, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import type { ResultStore, RunSummary, ScenarioSummary } from "../results/index.ts";
import type { BootPlan } from "./boot-plan.ts";
import { runScenario, type AttemptHooks } from "./scenario.ts";

export interface SuiteRunOptions extends AttemptHooks {
  suite: string;
  scenarios: Scenario[];
  plan: BootPlan;
  store: ResultStore;
  sink: EventSink;
  /** Guests running at once. Default 1: on 2 cores, TCG guests starve each other. */
  jobs?: number;
  attempts?: number;
}

/** Exit code of `hangar run` (DESIGN.md): 0 all met, 1 one did not, 3 infrastructure failure. */
export function exitCodeFor(scenarios: ScenarioSummary[]): number {
  if (scenarios.some((s) => !s.met && s.outcome !== "infra")) return 1;
  if (scenarios.some((s) => s.outcome === "infra")) return 3;
  return 0;
}

/** A scenario that ended without a judged attempt because of hangar itself, or never started. */
function infraSummary(sc: Scenario, reason: string, durationMs = 0): ScenarioSummary {
  return { name: sc.name, file: sc.file, expected: sc.expect.outcome, outcome: "infra", met: false, reason, attempts: [], reproduced: 0, durationMs };
}

/**
 * Run the scenarios (`jobs` at once) and write the summary, JUnit and page. One scenario's
 * failure never loses the others: it becomes an `infra` line with the reason. Once `signal`
 * aborts (Ctrl-C) nothing new starts, and the summary, marked interrupted, keeps what finished.
 */
export async function runSuite(o: SuiteRunOptions): Promise<RunSummary> {
  const startedAt = new Date().toISOString();
  const limit = pLimit(Math.max(1, o.jobs ?? 1));
  const { watchdog, onMachineReady, machineFactory, signal, executor } = o;
  const summaries = await Promise.all(
    o.scenarios.map((sc) =>
      limit(async (): Promise<ScenarioSummary> => {
        if (signal?.aborted) return infraSummary(sc, "not run: the run was interrupted");
        const t0 = Date.now();
        try {
          const { summary } = await runScenario(sc, { plan: o.plan, store: o.store, sink: o.sink, attempts: o.attempts, watchdog, onMachineReady, machineFactory, signal, executor });
          o.sink.emit({ type: "verdict", scenario: sc.name, verdict: summary.outcome, detail: summary.met ? "met" : `not met: ${summary.reason ?? ""}` });
          return summary;
        } catch (err) {
          const reason = `hangar failed: ${errorMessage(err)}`;
          o.sink.emit({ type: "verdict", scenario: sc.name, verdict: "infra", detail: reason });
          return infraSummary(sc, reason, Date.now() - t0);
        }
      }),
    ),
  );
  const summary = runSummary(o, summaries, startedAt, !!signal?.aborted);
  await o.store.writeSummary(summary);
  return summary;
}

/** The run's summary from its scenarios' summaries (also for runs whose attempts ran elsewhere). */
export function runSummary(
  o: Pick<SuiteRunOptions, "suite" | "plan" | "store">,
  scenarios: ScenarioSummary[],
  startedAt: string,
  interrupted = false,
): RunSummary {
  return {
    runId: o.store.runId,
    suite: o.suite,
    startedAt,
    finishedAt: new Date().toISOString(),
    dir: o.store.dir,
    host: { accel: o.plan.accel, qemu: o.plan.qemuVersion, hostname: hostname() },
    kernel: { source: o.plan.kernel.source, path: o.plan.kernel.kernel, ...(o.plan.kernel.version ? { version: o.plan.kernel.version } : {}) },
    image: { id: o.plan.image.id, path: o.plan.image.rootfs },
    scenarios,
    ...(interrupted ? { interrupted: true } : {}),
    exitCode: exitCodeFor(scenarios),
  };
}
