/** After olddefconfig: did every option the fragments asked for stick? Pure. */
import type { KconfigValue } from "./fragments.ts";

export interface ConfigMismatch {
  option: string;
  wanted: KconfigValue;
  /** What .config has: a value, or "n" when the option is unset or absent (its dependencies are not met). */
  got: KconfigValue;
}

/** Option → value of a .config; `# CONFIG_X is not set` becomes "n". Values keep .config's spelling (strings quoted). */
export function readConfigValues(configText: string): Map<string, KconfigValue> {
  const out = new Map<string, KconfigValue>();
  for (const raw of configText.split("\n")) {
    const line = raw.trim();
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) {
      out.set(set[1]!, set[2]!);
      continue;
    }
    const unset = /^#\s*(CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) out.set(unset[1]!, "n");
  }
  return out;
}

/** Numbers compare by value (0x10 = 16), everything else as written. */
function same(wanted: string, got: string): boolean {
  if (wanted === got) return true;
  const num = (s: string) => (/^-?\d+$/.test(s) ? BigInt(s) : /^0x[0-9a-f]+$/i.test(s) ? BigInt(s) : undefined);
  const a = num(wanted);
  const b = num(got);
  return a !== undefined && b !== undefined && a === b;
}

export function verifyConfig(requested: ReadonlyMap<string, KconfigValue>, configText: string): ConfigMismatch[] {
  const actual = readConfigValues(configText);
  const out: ConfigMismatch[] = [];
  for (const [option, wanted] of requested) {
    const got = actual.get(option) ?? "n";
    if (!same(wanted, got)) out.push({ option, wanted, got });
  }
  return out;
}

export function describeMismatches(ms: readonly ConfigMismatch[]): string {
  const show = (v: string) => (v === "n" ? "not set" : v);
  return ms.map((m) => `  ${m.option}: wanted ${show(m.wanted)}, got ${show(m.got)}`).join("\n");
}
