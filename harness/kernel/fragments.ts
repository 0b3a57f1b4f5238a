/**
 * Kernel config fragments (vm-images/kconfig/<name>.config): parsing, merging (later
 * fragments win, as merge_config.sh does) and applying the result to a .config.
 * Pure functions, except loadFragments which reads the files.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../common/index.ts";
import { UserInputError } from "../common/errors.ts";

/** The fragments `hangar kernel build` uses when --fragment is not given. */
export const DEFAULT_FRAGMENTS = ["base", "hung", "lockdep", "xfs", "btrfs", "nfs"] as const;

export function fragmentsDir(): string {
  return join(repoRoot, "vm-images", "kconfig");
}

/** An option's value as .config writes it: y, m, a number, 0x…, a "quoted string"; "n" for `# CONFIG_X is not set`. */
export type KconfigValue = string;

export interface Fragment {
  name: string;
  /** Options in file order (a repeated option keeps its last value). */
  options: Map<string, KconfigValue>;
  /** The `# Help:` line, when present. */
  help?: string;
}

/** A bad fragment name or file: a configuration error (exit 2). */
export class FragmentError extends UserInputError {}

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^#\s*(CONFIG_[A-Za-z0-9_]+) is not set\s*$/;

/** Parse one fragment. Comments and blank lines are skipped; anything else is an error naming file and line. */
export function parseFragment(name: string, text: string): Fragment {
  const options = new Map<string, KconfigValue>();
  let help: string | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const unset = UNSET.exec(line);
    if (unset) {
      options.delete(unset[1]!);
      options.set(unset[1]!, "n");
      return;
    }
    if (line.startsWith("#")) {
      const h = /^#\s*Help:\s*(.*)$/.exec(line);
      if (h && help === undefined) help = h[1]!.trim();
      return;
    }
    const set = SET.exec(line);
    if (!set) throw new FragmentError(`${name}.config line ${i + 1}: expected CONFIG_NAME=value or "# CONFIG_NAME is not set", got "${line}"`);
    const value = set[2]!.trim();
    if (value === "") throw new FragmentError(`${name}.config line ${i + 1}: ${set[1]} has no value`);
    options.delete(set[1]!);
    options.set(set[1]!, value);
  });
  return { name, options, ...(help !== undefined ? { help } : {}) };
}

export interface Override {
  option: string;
  from: { fragment: string; value: KconfigValue };
  to: { fragment: string; value: KconfigValue };
}

/** Merge fragments in order: a later fragment's value for an option replaces an earlier one. */
export function mergeFragments(fragments: readonly Fragment[]): { options: Map<string, KconfigValue>; overrides: Override[] } {
  const options = new Map<string, KconfigValue>();
  const origin = new Map<string, string>();
  const overrides: Override[] = [];
  for (const f of fragments) {
    for (const [opt, value] of f.options) {
      const prev = options.get(opt);
      if (prev !== undefined && prev !== value) {
        overrides.push({ option: opt, from: { fragment: origin.get(opt)!, value: prev }, to: { fragment: f.name, value } });
      }
      options.set(opt, value);
      origin.set(opt, f.name);
    }
  }
  return { options, overrides };
}

export function configLine(option: string, value: KconfigValue): string {
  return value === "n" ? `# ${option} is not set` : `${option}=${value}`;
}

/** The merged options as .config text (one line per option, in merge order). */
export function renderOptions(options: ReadonlyMap<string, KconfigValue>): string {
  return [...options].map(([o, v]) => configLine(o, v)).join("\n") + "\n";
}

/**
 * Apply options to a .config (what merge_config.sh -m does before olddefconfig): an option's
 * existing line is replaced in place, new options are appended.
 */
export function applyOptions(configText: string, options: ReadonlyMap<string, KconfigValue>): string {
  const done = new Set<string>();
  const lines = configText.replace(/\n$/, "").split("\n").map((line) => {
    const m = SET.exec(line.trim()) ?? UNSET.exec(line.trim());
    const opt = m?.[1];
    if (opt && options.has(opt)) {
      done.add(opt);
      return configLine(opt, options.get(opt)!);
    }
    return line;
  });
  for (const [opt, value] of options) if (!done.has(opt)) lines.push(configLine(opt, value));
  return lines.join("\n") + "\n";
}

/** Parse "a,b , c" (the --fragment value) into names, in order, without repeats. */
export function parseFragmentList(v: string): string[] {
  const names = v.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !/^[a-z0-9][a-z0-9_-]*$/.test(n));
  if (bad.length) throw new FragmentError(`bad fragment name(s): ${bad.join(", ")} (expected names of vm-images/kconfig/<name>.config, e.g. base,lockdep)`);
  return [...new Set(names)];
}

export async function availableFragments(dir = fragmentsDir()): Promise<string[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith(".config")).map((f) => f.slice(0, -".config".length)).sort();
}

/** Read and parse the named fragments from vm-images/kconfig/, in order. */
export async function loadFragments(names: readonly string[], dir = fragmentsDir()): Promise<Fragment[]> {
  const known = await availableFragments(dir);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new FragmentError(`unknown fragment(s) ${unknown.join(", ")}; available in ${dir}: ${known.join(", ") || "none"}`);
  return Promise.all(names.map(async (n) => parseFragment(n, await readFile(join(dir, `${n}.config`), "utf8"))));
}
