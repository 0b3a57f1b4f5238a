/**
 * Endpoints first (every policy but the one-run baseline): run the bad endpoint until the
 * target signature was seen `calibrationHits` times or `calibrationRuns` were spent (p is
 * learnt from it), then run the good endpoint until a miss of a bad commit is unlikely
 * (E[(1-p)^n] <= 1 - endpointConfidence). A bad endpoint that never reproduces, or a good one that
 * does, ends the bisect. Pure.
 */
import { isUntestable, type BisectState, type Next, type PolicyOptions } from "./policy-types.ts";
import { pPosterior } from "./posterior.ts";
import { runsForConfidence } from "./stats.ts";

/** The endpoint work still to do, or undefined when both endpoints are settled. */
export function endpointStep(s: BisectState, o: PolicyOptions): Next | undefined {
  const n = s.commits.length - 1;
  const bad = s.commits[n]!;
  if (!(s.badKnown && bad.hits > 0)) {
    if (isUntestable(bad)) return { kind: "done", decision: { kind: "endpoint-untestable", which: "bad", reason: bad.untestable ?? `${bad.infra} infrastructure failures` } };
    const enough = bad.hits >= o.calibrationHits || (bad.runs >= o.calibrationRuns && bad.hits > 0);
    if (!enough) {
      if (bad.runs >= o.calibrationRuns) return { kind: "done", decision: { kind: "bad-endpoint-clean", runs: bad.runs } };
      return {
        kind: "test",
        index: n,
        runs: o.calibrationRuns - bad.runs,
        stopAfterHits: o.calibrationHits - bad.hits,
        why: `bad endpoint: calibrating p (${bad.hits}/${bad.runs} so far; until ${o.calibrationHits} hits or ${o.calibrationRuns} runs)`,
      };
    }
  }
  if (s.goodKnown) return undefined;
  const good = s.commits[0]!;
  if (good.hits > 0) return { kind: "done", decision: { kind: "good-endpoint-reproduces", hits: good.hits, runs: good.runs } };
  if (isUntestable(good)) return { kind: "done", decision: { kind: "endpoint-untestable", which: "good", reason: good.untestable ?? `${good.infra} infrastructure failures` } };
  const need = runsForConfidence(pPosterior(s), o.endpointConfidence);
  if (good.runs < need) {
    return { kind: "test", index: 0, runs: need - good.runs, stopAfterHits: 1, why: `good endpoint: ${need} clean runs for ${o.endpointConfidence} confidence that it is clean` };
  }
  return undefined;
}
