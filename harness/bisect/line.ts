/** Walking the line of positions: the testable commit nearest a point. Pure. */
import { isUntestable, type BisectState } from "./policy-types.ts";

/** The commit strictly between lo and hi nearest `target` that is not known untestable (lower one on ties). */
export function nearestTestable(s: BisectState, lo: number, hi: number, target: number, skip?: (j: number) => boolean): number | undefined {
  const t = Math.min(hi - 1, Math.max(lo + 1, Math.round(target)));
  for (let d = 0; t - d > lo || t + d < hi; d++) {
    for (const j of d === 0 ? [t] : [t - d, t + d]) {
      if (j <= lo || j >= hi) continue;
      if (!isUntestable(s.commits[j]) && !skip?.(j)) return j;
    }
  }
  return undefined;
}
