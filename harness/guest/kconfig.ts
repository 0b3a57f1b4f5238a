/** Parse a kernel .config text into option → value ("y", "m", a string or number). */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, "$1"));
  }
  return out;
}

/** Requirements not met: an option that is unset or `n`. */
export function missingOptions(config: Map<string, string>, required: readonly string[]): string[] {
  return required.filter((opt) => {
    const v = config.get(opt);
    return v === undefined || v === "n";
  });
}
