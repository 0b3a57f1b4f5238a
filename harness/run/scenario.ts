import type { EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import { wilson, type AttemptSummary, type AttemptVerdict, type ResultStore, type ScenarioSummary } from "../results/index.ts";
import { describeEvidence } from "../guest/index.ts";
import { runAttempt, type AttemptOptions, type AttemptResult } from "./attempt.ts";
import type { BootPlan } from "./boot-plan.ts";
import type { LayerRecord } from "./storage-stage.ts";

/** "upper: xfs on loop0 → /mnt/hangar/upper (localio=in-use)" */
function describeLayer(l: LayerRecord): string {
  const o = l.output;
  const at = o?.mnt ?? o?.dev ?? o?.path ?? "";
  const facts = o ? Object.entries(o.facts).map(([k, v]) => `${k}=${v}`).join(", ") : "";
  const state = l.built ? "" : ` — NOT BUILT: ${l.error ?? "?"}`;
  const down = l.teardown && !l.teardown.ok ? ` — teardown failed: ${l.teardown.error}` : "";
  return `${l.name}: ${l.type} on ${l.on}${at ? ` → ${at}` : ""}${facts ? ` (${facts})` : ""}${state}${down}`;
}

/** Runs one attempt: `runAttempt` here, or a remote executor (a farm worker) that returns the same result. */
export type AttemptExecutor = (o: AttemptOptions) => Promise<AttemptResult>;

/** What a caller may set on every attempt of a scenario (tests: a fake machine, short heartbeats, fault hooks; the farm: an executor). */
export type AttemptHooks = Pick<AttemptOptions, "watchdog" | "onMachineReady" | "machineFactory" | "signal"> & { executor?: AttemptExecutor };

export interface ScenarioRunOptions extends AttemptHooks {
  plan: BootPlan;
  store: ResultStore;
  sink: EventSink;
  attempts?: number;
  /**
   * Attempts that come out `infra` (hangar or the host failed, not the kernel) are replaced by new
   * ones, at most this many (default 0): `hangar prove` needs its counted attempts judged.
   * Replacements are numbered on (attempt-4 after three), so every attempt keeps its own files.
   */
  replaceInfra?: number;
}

/** Run a scenario's attempts one after the other and summarise them. */
export async function runScenario(sc: Scenario, o: ScenarioRunOptions): Promise<{ summary: ScenarioSummary; results: AttemptResult[] }> {
  const t0 = Date.now();
  const n = o.attempts ?? sc.attempts;
  const results: AttemptResult[] = [];
  const { watchdog, onMachineReady, machineFactory, signal } = o;
  let replaced = 0;
  for (let i = 1; i <= n + replaced; i++) {
    // Nothing new starts once the run is being stopped.
    if (signal?.aborted) break;
    const r = await (o.executor ?? runAttempt)({ scenario: sc, attempt: i, dir: o.store.attemptDir(sc.name, i), plan: o.plan, sink: o.sink, watchdog, onMachineReady, machineFactory, signal });
    results.push(r);
    // A kernel without a required option will not grow it on the next attempt.
    if (r.verdict === "skipped") break;
    if (r.verdict === "infra" && replaced < (o.replaceInfra ?? 0)) {
      replaced++;
      o.sink.emit({ type: "log", level: "warn", message: `${sc.name}: attempt ${i} was infra (${r.reason ?? "no reason"}); attempt ${n + replaced} replaces it (${replaced} of at most ${o.replaceInfra})` });
    }
  }
  return { summary: summarizeScenario(sc, results, Date.now() - t0), results };
}

/** Scenario outcome over attempts, and whether it met the scenario's declared expectation. */
export function summarizeScenario(sc: Scenario, results: AttemptResult[], durationMs: number): ScenarioSummary {
  const attempts: AttemptSummary[] = results.map((r) => ({
    attempt: r.attempt,
    verdict: r.verdict,
    ...(r.reason ? { reason: r.reason } : {}),
    dir: r.dir,
    reports: r.reports.map((x) => ({ kind: x.kind, title: x.title, signature: x.signature, count: x.count, corrupted: x.corrupted })),
    durationMs: r.durationMs,
    ...(r.bootMs !== undefined ? { bootMs: r.bootMs } : {}),
    ...(r.bootFailures ? { bootFailures: r.bootFailures.map((f) => f.reason) } : {}),
    ...(r.pressure ? { pressure: { asked: r.pressure.asked, shown: r.pressure.shown, summary: describeEvidence(r.pressure) } } : {}),
    ...(r.storage.length ? { storage: r.storage.map(describeLayer) } : {}),
  }));
  const count = (v: AttemptVerdict) => results.filter((r) => r.verdict === v).length;
  const judged = results.filter((r) => r.verdict !== "infra" && r.verdict !== "skipped");
  const reproduced = count("reproduced");
  let outcome: AttemptVerdict;
  let reason: string | undefined;
  if (count("skipped")) {
    outcome = "skipped";
    reason = results.find((r) => r.verdict === "skipped")?.reason;
  } else if (!judged.length) {
    outcome = "infra";
    reason = results.find((r) => r.reason)?.reason;
  } else if (reproduced) outcome = "reproduced";
  else if (count("unexpected")) outcome = "unexpected";
  else outcome = "clean";
  // reproduced: met when at least one attempt reproduced; clean: met when every judged attempt was clean.
  const met =
    outcome === "skipped" ||
    (sc.expect.outcome === "reproduced" ? reproduced > 0 : outcome === "clean" && count("infra") === 0);
  if (!reason && !met) {
    reason = sc.expect.outcome === "reproduced" ? `no attempt reproduced (${judged.length} judged)` : `${count("unexpected") + reproduced} attempt(s) had kernel reports`;
  }
  const ci = wilson(reproduced, judged.length);
  return {
    name: sc.name,
    file: sc.file,
    expected: sc.expect.outcome,
    outcome,
    met,
    ...(reason ? { reason } : {}),
    attempts,
    reproduced,
    ...(judged.length ? { rate: { k: reproduced, n: judged.length, ...ci } } : {}),
    durationMs,
  };
}
