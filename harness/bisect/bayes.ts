/**
 * `bayes`: probabilistic (noisy) bisection. The posterior over culprit positions (posterior.ts,
 * p integrated out against its Beta posterior) is updated after every batch of runs; the next
 * commit is the one where P(commit is bad) is nearest the split that makes one batch most
 * informative on a one-sided noisy test (zChannelSplit: ~0.37-0.5, not 0.5, because a clean
 * run proves little); it stops when one position — or, around untestable commits, one range
 * that no test can split — holds `confidence` of the mass.
 *
 * Builds cost more than runs, so each choice gets a batch of about batchFactor/p runs
 * (at least `jobs`, stopping at the first hit), and an already built commit is preferred when
 * it splits nearly as well (`buildSlack`). Pure.
 */
import { endpointStep } from "./endpoints.ts";
import { nearestTestable } from "./line.ts";
import { cumulative, isolatedBlock, mostLikely, posterior, type Posterior } from "./posterior.ts";
import { isUntestable, totalRuns, type BisectState, type Next, type Policy, type PolicyOptions } from "./policy-types.ts";
import { betaMean, zChannelSplit } from "./stats.ts";

export interface BayesOptions extends PolicyOptions {
  /** Runs per choice: about batchFactor / p (default 1). */
  batchFactor?: number;
  /** Prefer a built commit when its split is this close to the best (default 0.1). */
  buildSlack?: number;
}

/** Where P(bad) crosses q: the (fractional) position. */
function crossing(post: Posterior, q: number): number {
  let cum = 0;
  for (const iv of post.intervals) {
    if (cum + iv.mass >= q) return iv.lo + ((q - cum) / iv.mass) * (iv.hi - iv.lo);
    cum += iv.mass;
  }
  return post.intervals.at(-1)!.hi;
}

export function bayesPolicy(o: BayesOptions): Policy {
  const batchFactor = o.batchFactor ?? 1;
  const slack = o.buildSlack ?? 0.1;
  return {
    name: "bayes",
    next(s: BisectState): Next {
      const e = endpointStep(s, o);
      if (e) return e;
      const n = s.commits.length - 1;
      const post = posterior(s);
      const block = isolatedBlock(s, post);
      if (block && block.mass >= o.confidence) {
        return {
          kind: "done",
          decision: block.hi === block.lo + 1 ? { kind: "culprit", index: block.hi, confidence: block.mass } : { kind: "range", first: block.lo + 1, last: block.hi, confidence: block.mass },
        };
      }
      if (totalRuns(s) >= o.maxRuns) {
        const best = mostLikely(post);
        return { kind: "done", decision: { kind: "budget", index: best.index, confidence: best.mass } };
      }
      const p = betaMean(post.p);
      const batch = Math.max(o.jobs, Math.min(50, Math.ceil(batchFactor / p)));
      const q = zChannelSplit(1 - Math.pow(1 - p, batch));
      const x = crossing(post, q);
      const cands = new Set<number>();
      for (const t of [Math.floor(x), Math.ceil(x)]) {
        const j = nearestTestable(s, 0, n, t);
        if (j !== undefined) cands.add(j);
      }
      let best: number | undefined;
      let bestD = Infinity;
      for (const j of cands) {
        const d = Math.abs(cumulative(post, j) - q);
        if (d < bestD) [best, bestD] = [j, d];
      }
      // An already built commit that splits nearly as well saves a kernel build.
      let built: number | undefined;
      let builtD = Infinity;
      let cum = 0;
      for (const iv of post.intervals) {
        cum += iv.mass;
        const j = iv.hi;
        const c = s.commits[j]!;
        if (j >= n || c.hits > 0 || isUntestable(c)) continue;
        const d = Math.abs(cum - q);
        if (d < builtD) [built, builtD] = [j, d];
      }
      if (built !== undefined && builtD <= bestD + slack) [best, bestD] = [built, builtD];
      if (best === undefined) {
        // Nothing testable can split the mass further: answer with what we have.
        const top = mostLikely(post);
        return { kind: "done", decision: { kind: "budget", index: top.index, confidence: top.mass } };
      }
      const F = cumulative(post, best);
      return { kind: "test", index: best, runs: batch, stopAfterHits: 1, why: `bayes: P(bad)=${F.toFixed(3)} (split target ${q.toFixed(3)}), p≈${p.toFixed(2)}, batch ${batch}` };
    },
  };
}
