/**
 * Which kernels a proof builds: stock (the scenario's fragments, no patches), control (+ the
 * injection patches) and known-bad (+ the bug patches), with patch paths resolved against the
 * scenario file and checked to exist.
 */
import { access } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError, knownBadProblems, type KnownBad, type Scenario } from "../config/index.ts";
import { DEFAULT_FRAGMENTS } from "../kernel/index.ts";

export interface KernelSpec {
  fragments: string[];
  /** absolute patch paths, applied in order */
  patches: string[];
}

export interface ProofPlan {
  scenario: Scenario;
  knownBad: KnownBad;
  stock: KernelSpec;
  control: KernelSpec;
  bad: KernelSpec;
  /** the control kernel has no injection patches: it is the stock kernel, and its attempts are the stock runs */
  controlIsStock: boolean;
}

function field(i: number, ...rest: (string | number)[]): string {
  return `knownBad[${i}]${rest.map((r) => (typeof r === "number" ? `[${r}]` : `.${r}`)).join("")}`;
}

/** The known-bad entries of a scenario, checked against the rest of it; throws a ConfigError naming file and field. */
export function checkKnownBad(sc: Scenario): KnownBad[] {
  const problems = knownBadProblems(sc).map((p) => ({ field: p.path.map((x, k) => (typeof x === "number" ? `[${x}]` : k ? `.${x}` : x)).join(""), message: p.message }));
  if (!sc.knownBad?.length) problems.push({ field: "knownBad", message: "missing: hangar prove needs at least one known-bad kernel (docs/prove.md)" });
  if (problems.length) throw new ConfigError(sc.file, problems);
  return sc.knownBad!;
}

/** The proofs of a scenario (only the entry named `only`, if given: none when it has no such entry). */
export async function planProofs(sc: Scenario, only?: string): Promise<ProofPlan[]> {
  const entries = checkKnownBad(sc);
  const fragments = sc.kernel.fragments.length ? sc.kernel.fragments : [...DEFAULT_FRAGMENTS];
  const base = dirname(sc.file);
  const plans: ProofPlan[] = [];
  for (const [i, kb] of entries.entries()) {
    if (only && kb.name !== only) continue;
    const resolveAll = async (list: string[], key: "patches" | "inject") => {
      const out: string[] = [];
      for (const [j, p] of list.entries()) {
        const abs = resolve(base, p);
        try {
          await access(abs);
        } catch {
          throw new ConfigError(sc.file, [{ field: field(i, key, j), message: `patch file not found: ${abs} (paths are relative to the scenario file)` }]);
        }
        out.push(abs);
      }
      return out;
    };
    const inject = await resolveAll(kb.inject, "inject");
    const patches = await resolveAll(kb.patches, "patches");
    plans.push({
      scenario: sc,
      knownBad: kb,
      stock: { fragments, patches: [] },
      control: { fragments, patches: inject },
      bad: { fragments, patches: [...inject, ...patches] },
      controlIsStock: inject.length === 0,
    });
  }
  return plans;
}
