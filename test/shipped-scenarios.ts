/** Every scenario under workloads/: a file with top-level `steps:` (suites and other lists such as known-issues.yaml are not). */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../harness/common/index.ts";
import { loadScenario, type Scenario } from "../harness/config/index.ts";

export async function shippedScenarios(): Promise<Scenario[]> {
  const dir = join(repoRoot, "workloads");
  const out: Scenario[] = [];
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort()) {
    const top = parse(await readFile(join(dir, f), "utf8")) as Record<string, unknown> | null;
    if (top && typeof top === "object" && "steps" in top) out.push(await loadScenario(join(dir, f)));
  }
  return out;
}
