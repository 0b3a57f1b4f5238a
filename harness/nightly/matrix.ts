/**
 * The night's matrix: kernels × scenarios × attempts as one p-limit queue, attempt-major (every
 * cell's first attempt before any second one, so a night cut short still covers every cell).
 * A cell whose kernel lacks a required option stops after that attempt, as `hangar run` does.
 */
import pLimit from "p-limit";
import { errorMessage, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import type { AttemptSummary, ResultStore, ScenarioSummary } from "../results/index.ts";
import { runAttempt, summarizeScenario, type AttemptOptions, type AttemptResult, type BootPlan } from "../run/index.ts";

export interface MatrixKernel {
  key: string;
  /** Absent when the kernel could not be prepared: its cells come out infra with this reason. */
  plan?: BootPlan;
  error?: string;
  store: ResultStore;
}

export interface CellRun {
  kernel: string;
  scenario: Scenario;
  results: AttemptResult[];
  summary: ScenarioSummary;
}

export interface MatrixOptions {
  kernels: readonly MatrixKernel[];
  scenarios: readonly Scenario[];
  jobs: number;
  /** Overrides every scenario's own attempts (-n). */
  attempts?: number;
  sink: EventSink;
  /** One attempt; the real one by default. */
  attempt?: (o: AttemptOptions) => Promise<AttemptResult>;
  /** Ctrl-C / SIGTERM: nothing new starts; running attempts are cut short by the attempt itself. */
  signal?: AbortSignal;
}

export async function runMatrix(o: MatrixOptions): Promise<CellRun[]> {
  const limit = pLimit(Math.max(1, o.jobs));
  const attempt = o.attempt ?? runAttempt;
  const cells = o.kernels.flatMap((k) =>
    o.scenarios.map((sc) => ({ k, sc, n: o.attempts ?? sc.attempts, results: [] as AttemptResult[], failed: [] as AttemptSummary[], stop: false, t0: 0, t1: 0 })),
  );
  const most = Math.max(0, ...cells.map((c) => c.n));
  const queue: Promise<void>[] = [];
  for (let i = 1; i <= most; i++) {
    for (const c of cells) {
      if (i > c.n || !c.k.plan) continue;
      const plan = c.k.plan;
      queue.push(
        limit(async () => {
          if (c.stop || o.signal?.aborted) return;
          c.t0 ||= Date.now();
          const dir = c.k.store.attemptDir(c.sc.name, i);
          try {
            const r = await attempt({ scenario: c.sc, attempt: i, dir, plan, sink: o.sink, ...(o.signal ? { signal: o.signal } : {}) });
            c.results.push(r);
            if (r.verdict === "skipped") c.stop = true;
          } catch (err) {
            // A harness error in one attempt loses neither the night nor the cell: it is an infra attempt.
            const reason = `hangar error: ${errorMessage(err)}`;
            o.sink.emit({ type: "log", level: "error", message: `${c.sc.name}#${i} on ${c.k.key}: ${reason}` });
            c.failed.push({ attempt: i, verdict: "infra", reason, dir, reports: [], durationMs: Date.now() - c.t0 });
          }
          c.t1 = Date.now();
        }),
      );
    }
  }
  await Promise.all(queue);
  return cells.map((c) => {
    let results = c.results.sort((a, b) => a.attempt - b.attempt);
    // As `hangar run`: nothing after the first skipped attempt (a cell's attempts that ran at once, as on the farm, are dropped).
    const skip = results.findIndex((r) => r.verdict === "skipped");
    if (skip >= 0) results = results.slice(0, skip + 1);
    const summary = summarizeScenario(c.sc, results, c.t1 - c.t0);
    if (c.failed.length) {
      summary.attempts = [...summary.attempts, ...c.failed].sort((a, b) => a.attempt - b.attempt);
      if (!results.length) summary.reason = c.failed[0]!.reason;
    }
    if (!results.length && !c.failed.length && c.k.plan) summary.reason = "not run: the night was interrupted";
    if (!c.k.plan) {
      summary.outcome = "infra";
      summary.met = false;
      summary.reason = `kernel ${c.k.key} could not be prepared: ${c.k.error ?? "?"}`;
    } else {
      o.sink.emit({ type: "verdict", scenario: `${c.sc.name} on ${c.k.key}`, verdict: summary.outcome, detail: summary.met ? "met" : `not met: ${summary.reason ?? ""}` });
    }
    return { kernel: c.k.key, scenario: c.sc, results, summary };
  });
}

/** Signatures the scenario's `expect.ignore` set aside in an attempt. */
export function ignoredSignatures(r: AttemptResult): Set<string> {
  return new Set((r.match?.ignored ?? []).map((i) => r.reports[i]?.signature).filter((s): s is string => !!s));
}
