import type { Scenario } from "./scenario-schema.ts";
import { workloadOf } from "./step-schema.ts";

/**
 * A scenario with every workload duration multiplied by `factor` (like fstests' TIME_FACTOR,
 * but also below 1 for quick passes). Explicit step timeouts and the attempt deadline stay
 * as written; derived step timeouts follow the scaled duration.
 */
export function scaleDurations(sc: Scenario, factor: number): Scenario {
  if (factor === 1) return sc;
  return {
    ...sc,
    steps: sc.steps.map((st) => {
      const w = workloadOf(st);
      if (!w) return st;
      return { ...st, [w.kind]: { ...w.spec, duration: Math.max(1000, Math.round(w.spec.duration * factor)) } };
    }),
  };
}
