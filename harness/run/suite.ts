import { hostname } from "node:os";
import pLimit from "p-limit";
import type { EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import type { ResultStore, RunSummary, ScenarioSummary } from "../results/index.ts";
import type { BootPlan } from "./boot-plan.ts";
import { runScenario, type ScenarioRunOptions } from "./scenario.ts";

export interface SuiteRunOptions {
  suite: string;
  scenarios: Scenario[];
  plan: BootPlan;
  store: ResultStore;
  sink: EventSink;
  /** Guests running at once. Default 1: on 2 cores, TCG guests starve each other. */
  jobs?: number;
  attempts?: number;
  watchdog?: ScenarioRunOptions["watchdog"];
  onGuestReady?: ScenarioRunOptions["onGuestReady"];
}

/** Exit code of `hangar run` (DESIGN.md): 0 all met, 1 one did not, 3 infrastructure failure. */
export function exitCodeFor(scenarios: ScenarioSummary[]): number {
  if (scenarios.some((s) => !s.met && s.outcome !== "infra")) return 1;
  if (scenarios.some((s) => s.outcome === "infra")) return 3;
  return 0;
}

export async function runSuite(o: SuiteRunOptions): Promise<RunSummary> {
  const startedAt = new Date().toISOString();
  const limit = pLimit(Math.max(1, o.jobs ?? 1));
  const summaries = await Promise.all(
    o.scenarios.map((sc) =>
      limit(async () => {
        const { summary } = await runScenario(sc, {
          plan: o.plan,
          store: o.store,
          sink: o.sink,
          ...(o.attempts ? { attempts: o.attempts } : {}),
          ...(o.watchdog ? { watchdog: o.watchdog } : {}),
          ...(o.onGuestReady ? { onGuestReady: o.onGuestReady } : {}),
        });
        o.sink.emit({ type: "verdict", scenario: sc.name, verdict: summary.outcome, detail: summary.met ? "met" : `not met: ${summary.reason ?? ""}` });
        return summary;
      }),
    ),
  );
  const summary: RunSummary = {
    runId: o.store.runId,
    suite: o.suite,
    startedAt,
    finishedAt: new Date().toISOString(),
    dir: o.store.dir,
    host: { accel: o.plan.accel, qemu: o.plan.qemuVersion, hostname: hostname() },
    kernel: { source: o.plan.kernel.source, path: o.plan.kernel.kernel, ...(o.plan.kernel.version ? { version: o.plan.kernel.version } : {}) },
    image: { id: o.plan.image.id, path: o.plan.image.rootfs },
    scenarios: summaries,
    exitCode: exitCodeFor(summaries),
  };
  await o.store.writeSummary(summary);
  return summary;
}
