/** A scenario's attempts on one kernel → the night's cell (counts and per-signature hits). */
import type { ScenarioSummary } from "../results/index.ts";
import type { Cell, SignatureInfo } from "./types.ts";

/**
 * `ignored(attempt)` gives the signatures the scenario's `expect.ignore` set aside in that attempt:
 * they are not counted (a scenario that ignores a known-noisy report keeps ignoring it nightly).
 */
export function cellOf(kernel: string, s: ScenarioSummary, ignored: (attempt: number) => ReadonlySet<string> = () => new Set()): { cell: Cell; signatures: Record<string, SignatureInfo> } {
  const cell: Cell = { kernel, scenario: s.name, outcome: s.outcome, judged: 0, infra: 0, skipped: 0, reported: 0, hits: {} };
  const signatures: Record<string, SignatureInfo> = {};
  for (const a of s.attempts) {
    if (a.verdict === "infra") cell.infra++;
    else if (a.verdict === "skipped") cell.skipped++;
    if (a.verdict === "infra" || a.verdict === "skipped") continue;
    cell.judged++;
    const skip = ignored(a.attempt);
    const sigs = new Set(a.reports.filter((r) => !skip.has(r.signature)).map((r) => r.signature));
    if (sigs.size) cell.reported++;
    for (const r of a.reports) if (sigs.has(r.signature)) signatures[r.signature] ??= { kind: r.kind, title: r.title };
    for (const sig of sigs) cell.hits[sig] = (cell.hits[sig] ?? 0) + 1;
  }
  return { cell, signatures };
}
