/**
 * The policies by name, and `auto`. The simulation (bench/bisect.ts) has bayes spending about
 * half the runs of repeat at every p, for one to six more kernel builds; repeat only pays off
 * when the bug nearly always reproduces (few runs either way, and binary search's minimum of
 * builds). So auto takes repeat when the bad endpoint's p (posterior mean) is >= 0.8, bayes otherwise.
 */
import { bayesPolicy } from "./bayes.ts";
import { singleRunPolicy, syzkallerPolicy } from "./baselines.ts";
import { endpointStep } from "./endpoints.ts";
import { repeatPolicy } from "./repeat.ts";
import { betaMean } from "./stats.ts";
import type { BisectState, Policy, PolicyOptions } from "./policy-types.ts";

export const USER_POLICIES = ["auto", "repeat", "bayes"] as const;
export type UserPolicyName = (typeof USER_POLICIES)[number];
export const SIMULATED_POLICIES = ["repeat", "bayes", "auto", "syzkaller", "single"] as const;
export type PolicyName = (typeof SIMULATED_POLICIES)[number];

/** auto switches to repeat at or above this p (measured on the bad endpoint). */
export const AUTO_REPEAT_FROM_P = 0.8;

/** p as measured on the bad endpoint alone: fixed once the endpoint is calibrated, so auto never changes its mind. */
function endpointP(s: BisectState): number {
  const bad = s.commits.at(-1)!;
  return betaMean({ a: 1 + bad.hits, b: 1 + bad.runs - bad.hits });
}

export function autoPolicy(o: PolicyOptions): Policy {
  const repeat = repeatPolicy(o);
  const bayes = bayesPolicy(o);
  return {
    name: "auto",
    next(s) {
      const e = endpointStep(s, o);
      if (e) return e;
      return endpointP(s) >= AUTO_REPEAT_FROM_P ? repeat.next(s) : bayes.next(s);
    },
  };
}

/** Which policy auto uses for this state (for reports). */
export function autoChoice(s: BisectState): "repeat" | "bayes" {
  return endpointP(s) >= AUTO_REPEAT_FROM_P ? "repeat" : "bayes";
}

export function makePolicy(name: PolicyName, o: PolicyOptions): Policy {
  switch (name) {
    case "repeat":
      return repeatPolicy(o);
    case "bayes":
      return bayesPolicy(o);
    case "auto":
      return autoPolicy(o);
    case "syzkaller":
      return syzkallerPolicy();
    case "single":
      return singleRunPolicy();
  }
}
