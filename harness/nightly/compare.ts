/**
 * Baseline comparison, pure: a night's cell against the same scenario × kernel in a baseline night,
 * signature by signature (lkp's compare: a regression is a change in *rate*), with known issues
 * judged against their expected rate instead of the baseline. The rules, in order:
 *
 * per signature (hits = judged attempts that showed it, Fisher's exact test on the two rates):
 *   new        not in the baseline, seen now                     → bad unless a known issue
 *   gone       in the baseline, not seen now
 *   up / down  both seen, rates differ with p < alpha            → up is bad unless a known issue
 *   unchanged  both seen, no significant difference
 *   seen       no baseline to compare with (never bad by itself)
 *   a known issue is bad only when seen significantly above its expected rate (binomial upper tail < alpha)
 * per cell:
 *   infra / skipped  when no attempt was judged
 *   regression       any bad signature
 *   flaky-known      a known issue seen (at or under its rate)
 *   first            no baseline cell
 *   fixed            a signature gone or significantly rarer
 *   unchanged        otherwise
 */
import { knownIssueFor, type KnownIssue } from "./known-issues.ts";
import { binomialUpperTail, fisherExact } from "./stats.ts";
import type { Cell, CellComparison, CellState, MaybeFixed, SignatureChange, SignatureChangeKind, SignatureInfo } from "./types.ts";

export const DEFAULT_ALPHA = 0.05;

export interface CompareOptions {
  alpha: number;
  /** Known issues that apply (expired ones already removed). */
  known: readonly KnownIssue[];
}

const pct = (k: number, n: number) => (n ? `${k}/${n}` : "0/0");
const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function changeKind(c: number, n: number, b: number, bn: number, p: number, alpha: number): SignatureChangeKind {
  if (b === 0 && c > 0) return "new";
  if (b > 0 && c === 0) return "gone";
  if (p < alpha) return c / n > b / bn ? "up" : "down";
  return "unchanged";
}

/** Compare one cell with its baseline cell (absent: first night for it). `sigs` knows every signature of both. */
export function compareCell(cur: Cell, base: { cell: Cell; runId: string } | undefined, sigs: Readonly<Record<string, SignatureInfo>>, o: CompareOptions): CellComparison {
  const out = { kernel: cur.kernel, scenario: cur.scenario, cell: cur, ...(base ? { baselineRun: base.runId } : {}) };
  if (cur.judged === 0) {
    const state: CellState = cur.skipped ? "skipped" : "infra";
    return { ...out, state, reason: state === "skipped" ? "the kernel lacks an option the scenario requires" : cur.error ?? `no attempt could be judged (${cur.infra} infra)`, changes: [] };
  }
  const names = new Set<string>();
  for (const [s, h] of Object.entries(cur.hits)) if (h > 0) names.add(s);
  if (base) for (const [s, h] of Object.entries(base.cell.hits)) if (h > 0) names.add(s);
  const changes: SignatureChange[] = [...names].sort().map((signature) => {
    const info = sigs[signature] ?? { kind: "other", title: signature };
    const c = cur.hits[signature] ?? 0;
    const n = cur.judged;
    const b = base?.cell.hits[signature] ?? 0;
    const bn = base?.cell.judged ?? 0;
    const p = base ? fisherExact(c, n, b, bn) : 1;
    const change: SignatureChangeKind = base ? changeKind(c, n, b, bn, p, o.alpha) : "seen";
    const issue = knownIssueFor(o.known, cur, { signature, title: info.title });
    let bad = change === "new" || change === "up";
    let known: SignatureChange["known"];
    if (issue) {
      const kp = binomialUpperTail(c, n, issue.rate);
      known = { id: issue.id, bug: issue.bug, rate: issue.rate, p: kp, above: kp < o.alpha };
      bad = known.above;
    }
    return { signature, kind: info.kind, title: info.title, change, base: { hits: b, n: bn }, cur: { hits: c, n }, p, ...(known ? { known } : {}), bad };
  });
  const infraNote = cur.infra ? ` (${cur.infra} infra attempt(s) not counted)` : "";
  const bad = changes.filter((c) => c.bad);
  if (bad.length) {
    const why = bad.map((c) =>
      c.known
        ? `${c.title}: known issue ${c.known.id} at ${pct(c.cur.hits, c.cur.n)}, above its expected rate ${(c.known.rate * 100).toFixed(0)}% (p=${fmtP(c.known.p)})`
        : c.change === "new"
          ? `new: ${c.title} (${pct(c.cur.hits, c.cur.n)}, baseline ${pct(c.base.hits, c.base.n)}, p=${fmtP(c.p)})`
          : `rate up: ${c.title} (${pct(c.base.hits, c.base.n)} → ${pct(c.cur.hits, c.cur.n)}, p=${fmtP(c.p)})`,
    );
    return { ...out, state: "regression", reason: why.join("; ") + infraNote, changes };
  }
  const known = changes.filter((c) => c.known && c.cur.hits > 0);
  if (known.length) {
    return { ...out, state: "flaky-known", reason: known.map((c) => `known issue ${c.known!.id} (${c.known!.bug}) at ${pct(c.cur.hits, c.cur.n)}`).join("; ") + infraNote, changes };
  }
  if (!base) return { ...out, state: "first", reason: `no baseline for this scenario on this kernel; ${cur.reported}/${cur.judged} attempt(s) with reports${infraNote}`, changes };
  const better = changes.filter((c) => c.change === "gone" || c.change === "down");
  if (better.length) {
    return { ...out, state: "fixed", reason: better.map((c) => `${c.change}: ${c.title} (${pct(c.base.hits, c.base.n)} → ${pct(c.cur.hits, c.cur.n)}, p=${fmtP(c.p)})`).join("; ") + infraNote, changes };
  }
  return { ...out, state: "unchanged", reason: (changes.length ? `same reports at comparable rates` : "clean, as in the baseline") + infraNote, changes };
}

/** Exit code of a night: 1 any regression, else 3 any cell infra, else 0. */
export function nightExitCode(cells: readonly { state: CellState }[]): number {
  if (cells.some((c) => c.state === "regression")) return 1;
  if (cells.some((c) => c.state === "infra")) return 3;
  return 0;
}

/** Nights as the maybe-fixed rule needs them: oldest first, the current night last. */
export interface NightCells {
  cells: readonly Cell[];
  signatures: Readonly<Record<string, SignatureInfo>>;
}

/**
 * Known issues not seen for `after` nights in a row (the current one included), counting only nights
 * in which a scenario the issue covers was judged on a kernel it covers.
 */
export function maybeFixed(issues: readonly KnownIssue[], nights: readonly NightCells[], after: number): MaybeFixed[] {
  const out: MaybeFixed[] = [];
  for (const k of issues) {
    let quiet = 0;
    for (let i = nights.length - 1; i >= 0; i--) {
      const night = nights[i]!;
      const cells = night.cells.filter((c) => c.judged > 0 && (k.scenario === undefined || k.scenario === c.scenario) && (k.kernel === undefined || k.kernel === c.kernel));
      if (!cells.length) continue;
      const seen = cells.some((c) =>
        Object.entries(c.hits).some(([signature, h]) => h > 0 && knownIssueFor([k], c, { signature, title: night.signatures[signature]?.title ?? signature }) !== undefined),
      );
      if (seen) break;
      quiet++;
    }
    if (quiet >= after) out.push({ id: k.id, bug: k.bug, nights: quiet });
  }
  return out;
}
