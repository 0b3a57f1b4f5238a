/** The `expect:` block as YAML, ready to paste into a scenario (valid against its schema). */
import { stringify } from "yaml";
import type { ExpectedSignature } from "../match/index.ts";
import type { ProseHints } from "./draft.ts";

export interface ExpectDraft {
  /** the files the signatures came from, and how many reports each had */
  sources: { file: string; reports: number }[];
  signatures: ExpectedSignature[];
  /** for texts without any kernel report */
  hints?: ProseHints;
}

export function renderExpect(d: ExpectDraft): string {
  const head = d.sources.map((s) => `# ${s.file}: ${s.reports} kernel report(s)`);
  const body = stringify({ expect: { outcome: "reproduced", signatures: d.signatures } }, { lineWidth: 0 }).trimEnd();
  const lines = [...head, body];
  if (!d.signatures.length && d.hints && (d.hints.functions.length || d.hints.locks.length)) {
    // No trace to draft from: what the prose names, for a hand-written entry (check it with `hangar lint`).
    lines.push("# No kernel report in the text. It names, as candidates for frames / lockClasses:");
    if (d.hints.functions.length) lines.push(`#   functions: ${d.hints.functions.join(", ")}`);
    if (d.hints.locks.length) lines.push(`#   locks: ${d.hints.locks.join(", ")}`);
  }
  return lines.join("\n") + "\n";
}
