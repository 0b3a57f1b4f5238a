/**
 * The posterior over culprit positions given every run so far. Pure.
 *
 * Position c (1..n) means commits < c are good and commits >= c are bad. A hit at commit j
 * rules out every c > j. Clean runs at commits >= c are misses of a bad commit, whose chance
 * depends on p; p is integrated out against its Beta prior in closed form:
 *   L(c) = B(a + H(c), b + M(c)) / B(a, b)
 * where H(c), M(c) are the hits and misses over tested commits >= c. The prior over positions
 * is uniform. Between two tested commits every position has the same likelihood, so the
 * posterior is a list of intervals, one per tested commit: O(tested commits) per update.
 */
import { logBeta, type BetaPosterior } from "./stats.ts";
import { isUntestable, type BisectState } from "./policy-types.ts";

export interface Interval {
  /** Positions lo+1..hi; hi is a tested commit (or the bad endpoint). */
  lo: number;
  hi: number;
  /** Posterior mass of all these positions together. */
  mass: number;
}

export interface Posterior {
  intervals: Interval[];
  /** What the runs on proven-bad commits say about p. */
  p: BetaPosterior;
}

/**
 * The prior on p: Beta(1, 3), leaning to low p. A uniform prior over-weights high p while few
 * hits are known, which makes clean runs look more telling than they are for a rare deadlock:
 * in the simulation (bench/bisect.ts) it named the wrong commit at p = 0.1 in 9% of trials
 * for an asked 95%; Beta(1, 3) brings that to 5.5% for ~3% more runs.
 */
export const P_PRIOR = { a: 1, b: 3 } as const;

/** Beta posterior of p: the prior, plus hits and misses on commits proven bad (they have a hit). */
export function pPosterior(s: BisectState): BetaPosterior {
  let a = P_PRIOR.a + (s.pEvidence?.hits ?? 0);
  let b = P_PRIOR.b + (s.pEvidence?.misses ?? 0);
  for (const c of s.commits) {
    if (c.hits > 0) {
      a += c.hits;
      b += c.runs - c.hits;
    }
  }
  return { a, b };
}

export function posterior(s: BisectState): Posterior {
  const n = s.commits.length - 1;
  const tested: number[] = [];
  for (let j = 1; j < n; j++) if (s.commits[j]!.runs > 0) tested.push(j);
  tested.push(n);
  const a0 = P_PRIOR.a + (s.pEvidence?.hits ?? 0);
  const b0 = P_PRIOR.b + (s.pEvidence?.misses ?? 0);
  // Suffix sums of hits and misses from tested[i] on.
  const k = tested.length;
  const H = new Array<number>(k + 1).fill(0);
  const M = new Array<number>(k + 1).fill(0);
  for (let i = k - 1; i >= 0; i--) {
    const c = s.commits[tested[i]!]!;
    H[i] = H[i + 1]! + c.hits;
    M[i] = M[i + 1]! + (c.runs - c.hits);
  }
  const logs: number[] = [];
  let hitBelow = false;
  let prev = 0;
  for (let i = 0; i < k; i++) {
    const hi = tested[i]!;
    const size = hi - prev;
    logs.push(hitBelow ? -Infinity : Math.log(size) + logBeta(a0 + H[i]!, b0 + M[i]!));
    if (s.commits[hi]!.hits > 0) hitBelow = true;
    prev = hi;
  }
  const top = Math.max(...logs);
  const w = logs.map((l) => (l === -Infinity || top === -Infinity ? 0 : Math.exp(l - top)));
  const sum = w.reduce((x, y) => x + y, 0) || 1;
  const intervals: Interval[] = [];
  prev = 0;
  for (let i = 0; i < k; i++) {
    intervals.push({ lo: prev, hi: tested[i]!, mass: w[i]! / sum });
    prev = tested[i]!;
  }
  return { intervals, p: pPosterior(s) };
}

/** P(culprit <= j) = P(commit j is bad). */
export function cumulative(post: Posterior, j: number): number {
  let f = 0;
  for (const iv of post.intervals) {
    if (j >= iv.hi) f += iv.mass;
    else {
      if (j > iv.lo) f += (iv.mass * (j - iv.lo)) / (iv.hi - iv.lo);
      break;
    }
  }
  return Math.min(1, f);
}

/** Posterior mass of the positions first..last (the culprit is one of those commits). */
export function massOf(post: Posterior, first: number, last: number): number {
  let m = 0;
  for (const iv of post.intervals) {
    const lo = Math.max(iv.lo + 1, first);
    const hi = Math.min(iv.hi, last);
    if (hi >= lo) m += (iv.mass * (hi - lo + 1)) / (iv.hi - iv.lo);
  }
  return Math.min(1, m);
}

/**
 * The interval of highest mass that no further test can split: its inner commits are all
 * untestable (or it holds a single position). `undefined` when every heavy interval can still be split.
 */
export function isolatedBlock(s: BisectState, post: Posterior): Interval | undefined {
  let best: Interval | undefined;
  for (const iv of post.intervals) {
    if (best && iv.mass <= best.mass) continue;
    let splittable = false;
    for (let j = iv.lo + 1; j < iv.hi; j++) {
      if (!isUntestable(s.commits[j])) {
        splittable = true;
        break;
      }
    }
    if (!splittable) best = iv;
  }
  return best;
}

/** The most likely single position (for a budget-limited answer). */
export function mostLikely(post: Posterior): { index: number; mass: number } {
  let best = { index: post.intervals.at(-1)!.hi, mass: 0 };
  for (const iv of post.intervals) {
    const m = iv.mass / (iv.hi - iv.lo);
    if (m > best.mass) best = { index: iv.hi, mass: m };
  }
  return best;
}
