/**
 * `repeat`: binary search, each commit run until the first hit (bad) or until n clean runs
 * (good), where n makes a miss of a bad commit unlikely: E[(1-p)^n] <= 1 - c_step with p's
 * Beta posterior (so n grows when p is uncertain) and c_step = confidence^(1/steps), so that
 * the whole search keeps the asked confidence. ktest.pl's BISECT_TRIES and V8's flako
 * recipe do the same with a fixed n. Pure: the search is replayed from the counts each time,
 * so a resumed bisect continues where it stopped.
 */
import { endpointStep } from "./endpoints.ts";
import { nearestTestable } from "./line.ts";
import { massOf, mostLikely, posterior, pPosterior } from "./posterior.ts";
import { totalRuns, type BisectState, type Next, type Policy, type PolicyOptions } from "./policy-types.ts";
import { runsForConfidence } from "./stats.ts";

export function repeatPolicy(o: PolicyOptions): Policy {
  return {
    name: "repeat",
    next(s: BisectState): Next {
      const e = endpointStep(s, o);
      if (e) return e;
      const n = s.commits.length - 1;
      const steps = Math.max(1, Math.ceil(Math.log2(n)));
      const cStep = Math.pow(o.confidence, 1 / steps);
      const need = runsForConfidence(pPosterior(s), cStep);
      if (totalRuns(s) >= o.maxRuns) {
        const best = mostLikely(posterior(s));
        return { kind: "done", decision: { kind: "budget", index: best.index, confidence: best.mass } };
      }
      let lo = 0;
      let hi = n;
      for (;;) {
        const mid = nearestTestable(s, lo, hi, (lo + hi) / 2);
        if (mid === undefined) {
          const post = posterior(s);
          const confidence = massOf(post, lo + 1, hi);
          return { kind: "done", decision: hi === lo + 1 ? { kind: "culprit", index: hi, confidence } : { kind: "range", first: lo + 1, last: hi, confidence } };
        }
        const c = s.commits[mid]!;
        if (c.hits > 0) hi = mid;
        else if (c.runs >= need) lo = mid;
        else return { kind: "test", index: mid, runs: need - c.runs, stopAfterHits: 1, why: `repeat: ${c.runs}/${need} clean runs so far (range ${lo}..${hi})` };
      }
    },
  };
}
