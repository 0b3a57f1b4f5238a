/** Lint scenarios against a kernel: build the KernelIndex their names need, then check. */
import { access, readFile, readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { UserInputError } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import { kernelsDir, readKernel } from "../kernel/index.ts";
import { lintExpectations, namesIn, type LintProblem } from "./check.ts";
import { readSystemMap, scanFunctions, scanLockClasses, type KernelIndex } from "./kernel-index.ts";

export interface LintTarget {
  /** a kernel source tree */
  source?: string;
  /** a built kernel's System.map */
  systemMap?: string;
  describe: string;
}

/** The target of `hangar lint`: a built kernel (System.map + its tree), a tree, or the unpacked Debian tree. */
export async function lintTarget(o: { kernelId?: string; source?: string }): Promise<LintTarget> {
  if (o.kernelId) {
    const k = await readKernel(o.kernelId);
    if (!k) throw new UserInputError(`hangar lint: no built kernel ${o.kernelId} (hangar kernel list)`);
    const systemMap = join(k.meta.buildDir, "System.map");
    const hasMap = await access(systemMap).then(() => true, () => false);
    return { ...(hasMap ? { systemMap } : {}), source: k.meta.srcDir, describe: `kernel ${k.meta.id} (${k.meta.version}${hasMap ? ", System.map" : ", source"})` };
  }
  if (o.source) {
    if (!(await access(join(o.source, "Makefile")).then(() => true, () => false))) throw new UserInputError(`hangar lint: --source ${o.source}: not a kernel tree (no Makefile)`);
    return { source: o.source, describe: `the tree ${o.source}` };
  }
  const dir = join(kernelsDir(), "sources");
  for (const n of (await readdir(dir).catch(() => [] as string[])).sort().reverse()) {
    if (await access(join(dir, n, "Makefile")).then(() => true, () => false)) return { source: join(dir, n), describe: `Debian's ${n.replace(/_/, " ")} source` };
  }
  throw new UserInputError("hangar lint: no kernel tree to check against: give --kernel ID or --source DIR, or run `hangar kernel build` once (it unpacks Debian's linux-source-6.12)");
}

export async function kernelIndexFor(t: LintTarget, scenarios: Scenario[], signal?: AbortSignal): Promise<KernelIndex> {
  const lists = scenarios.flatMap((s) => [s.expect.signatures, s.expect.forbid ?? []]);
  const { functions, lockClasses } = namesIn(lists.flat());
  const idx: KernelIndex = { describe: t.describe };
  if (t.systemMap) {
    const m = await readSystemMap(t.systemMap);
    idx.textSymbols = m.text;
    idx.dataSymbols = m.data;
  } else if (t.source && functions.length) idx.definedFunctions = await scanFunctions(t.source, functions, signal);
  if (t.source && lockClasses.length) {
    const l = await scanLockClasses(t.source, signal);
    idx.lockClasses = l.classes;
    idx.workqueues = l.workqueues;
  }
  return idx;
}

export interface ScenarioLint {
  scenario: string;
  file: string;
  problems: LintProblem[];
}

/**
 * Names a patch adds (its `+` lines): function definitions and static locks. An expectation that
 * only a known-bad or injection patch makes reachable is fine for the signatures that kernel proves.
 */
export function namesAddedBy(patchText: string): Set<string> {
  const out = new Set<string>();
  for (const line of patchText.split("\n")) {
    if (!line.startsWith("+") || line.startsWith("+++")) continue;
    const l = line.slice(1);
    let m = /^(?:[A-Za-z_][\w \t*]*[ *])?([A-Za-z_]\w*)\(/.exec(l);
    if (m && !/^\s/.test(l)) out.add(m[1]!);
    m = /\b(?:DEFINE_[A-Z_]+|DECLARE_RWSEM)\(\s*(\w+)/.exec(l);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** Per signature name: the names the patches of the known-bad kernels that prove it add, and which kernel. */
export async function knownBadAdditions(sc: Scenario): Promise<Map<string, { names: Set<string>; knownBad: string }[]>> {
  const out = new Map<string, { names: Set<string>; knownBad: string }[]>();
  for (const kb of sc.knownBad ?? []) {
    const names = new Set<string>();
    for (const p of [...kb.inject, ...kb.patches]) {
      const text = await readFile(resolve(dirname(sc.file), p), "utf8").catch(() => "");
      for (const n of namesAddedBy(text)) names.add(n);
    }
    for (const sig of kb.signatures) out.set(sig, [...(out.get(sig) ?? []), { names, knownBad: kb.name }]);
  }
  return out;
}

/**
 * `ignore` entries are not checked: a name they miss only means nothing is ignored. A name that
 * only a known-bad kernel's patches add is a warning for the signatures that kernel proves.
 */
export async function lintScenario(sc: Scenario, k: KernelIndex): Promise<ScenarioLint> {
  const added = await knownBadAdditions(sc);
  const problems = [...lintExpectations(sc.expect.signatures, k), ...lintExpectations(sc.expect.forbid ?? [], k, "expect.forbid")].map((p) => {
    if (p.severity !== "error" || !p.field.startsWith("expect.signatures")) return p;
    const by = added.get(p.signature)?.find((a) => a.names.has(p.value.replace(/#\d+$/, "")));
    if (!by) return p;
    return { ...p, severity: "warning" as const, message: `${p.message}; the patches of knownBad ${by.knownBad} add it (reachable on that kernel only)` };
  });
  return { scenario: sc.name, file: sc.file, problems };
}
