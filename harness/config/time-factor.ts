import { UserInputError } from "../common/errors.ts";
import { ConfigError } from "./errors.ts";
import { MAX_TIMER_MS } from "./fields.ts";
import type { Scenario } from "./scenario-schema.ts";
import { stepTimeoutMs, workloadOf } from "./step-schema.ts";

/** The largest time factor, for the suite field `time_factor` and `--time-factor` alike. */
export const MAX_TIME_FACTOR = 100;

/**
 * `--time-factor F`: a number above 0 and at most MAX_TIME_FACTOR, like the suite's
 * `time_factor`. For commander's option parser; throws a UserInputError (exit 2) otherwise.
 */
export function parseTimeFactor(text: string, option = "--time-factor"): number {
  const t = text.trim();
  const n = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > MAX_TIME_FACTOR) {
    throw new UserInputError(`${option} ${JSON.stringify(text)}: expected a number above 0 and at most ${MAX_TIME_FACTOR} (0.1: a quick pass, 2: twice as long)`);
  }
  return n;
}

/**
 * A scenario with every workload duration multiplied by `factor` (like fstests' TIME_FACTOR,
 * but also below 1 for quick passes). Explicit step timeouts and the attempt deadline stay
 * as written; derived step timeouts follow the scaled duration. A scaled duration whose step
 * deadline no timer can keep is a ConfigError naming the file and the step.
 */
export function scaleDurations(sc: Scenario, factor: number): Scenario {
  if (factor === 1) return sc;
  const problems: ConfigError["problems"] = [];
  const steps = sc.steps.map((st, i) => {
    const w = workloadOf(st);
    if (!w && st.duration === undefined) return st;
    const ms = (d: number) => Math.max(1000, Math.round(d * factor));
    const scaled = w ? { ...st, [w.kind]: { ...w.spec, duration: ms(w.spec.duration) } } : { ...st, duration: ms(st.duration!) };
    if (stepTimeoutMs(scaled) > MAX_TIMER_MS) {
      problems.push({ field: `steps[${i}].${w ? `${w.kind}.` : ""}duration`, message: `× time factor ${factor} is too long: the step's deadline would exceed the longest wait a timer can keep (24.8 days)` });
    }
    return scaled;
  });
  if (problems.length) throw new ConfigError(sc.file, problems);
  return { ...sc, steps };
}
