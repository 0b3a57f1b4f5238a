import { basename } from "node:path";
import { loadConfigFile, loadScenario, scaleDurations, type Scenario } from "../config/index.ts";
import { UsageError } from "./args.ts";

/**
 * Load scenario and suite files given on the command line into one list of scenarios (all
 * validated before any VM starts). Workload durations are scaled by `timeFactor`, else by a
 * suite's own `time_factor`.
 */
export async function loadTargets(files: string[], o: { timeFactor?: number } = {}): Promise<{ suite: string; scenarios: Scenario[] }> {
  const scenarios: Scenario[] = [];
  const names: string[] = [];
  for (const f of files) {
    // Each file is read and parsed once: a suite, or a scenario.
    const loaded = await loadConfigFile(f);
    if (loaded.kind === "suite") {
      const { suite } = loaded;
      names.push(suite.name);
      for (const s of suite.scenarios) {
        const sc = scaleDurations(await loadScenario(s), o.timeFactor ?? suite.time_factor ?? 1);
        scenarios.push(suite.attempts ? { ...sc, attempts: suite.attempts } : sc);
      }
    } else {
      const sc = scaleDurations(loaded.scenario, o.timeFactor ?? 1);
      names.push(basename(f).replace(/\.ya?ml$/, ""));
      scenarios.push(sc);
    }
  }
  const seen = new Set<string>();
  for (const sc of scenarios) {
    if (seen.has(sc.name)) throw new UsageError(`scenario name "${sc.name}" appears twice (${sc.file}); names must be unique in a run`);
    seen.add(sc.name);
  }
  return { suite: names.join("+") || "adhoc", scenarios };
}
