import type { z } from "zod";
import { isMap, isSeq, parseDocument, type Document } from "yaml";

/** A bad scenario or suite file: names the file, the field and what was expected. Exit code 2. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { field: string; message: string; line?: number }[],
  ) {
    super(
      `${file}: invalid configuration\n` +
        problems.map((p) => `  - ${p.field}${p.line ? ` (line ${p.line})` : ""}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Turn zod issues into ConfigError problems with YAML line numbers and "did you mean" hints. */
export function describeIssues(issues: z.core.$ZodIssue[], doc: Document | undefined, known: (path: PropertyKey[]) => string[]): ConfigError["problems"] {
  const out: ConfigError["problems"] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const candidates = known(issue.path);
        const near = closest(key, candidates);
        out.push({
          field: fieldName(path),
          message:
            `unknown field "${key}"` +
            (near ? `; did you mean "${near}"?` : "") +
            (candidates.length ? ` Expected one of: ${candidates.join(", ")}` : ""),
          ...lineOf(doc, path),
        });
      }
      continue;
    }
    if (issue.code === "invalid_union" && "errors" in issue && Array.isArray(issue.errors)) {
      // Report the branch that got furthest, rather than zod's generic "invalid input".
      const flat = (issue.errors as z.core.$ZodIssue[][]).flat();
      if (flat.length) {
        out.push(...describeIssues(flat.map((i) => ({ ...i, path: [...issue.path, ...i.path] })), doc, known));
        continue;
      }
    }
    out.push({ field: fieldName(issue.path), message: humanMessage(issue), ...lineOf(doc, issue.path) });
  }
  return dedupe(out);
}

function humanMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    const expected = (issue as { expected?: string }).expected;
    if (/received undefined/.test(issue.message)) return `missing; expected ${expected}`;
    return issue.message.replace(/^Invalid input: /, "");
  }
  return issue.message.replace(/^Invalid input: /, "");
}

export function fieldName(path: readonly PropertyKey[]): string {
  if (!path.length) return "(top level)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

export function lineOf(doc: Document | undefined, path: readonly PropertyKey[]): { line?: number } {
  if (!doc) return {};
  try {
    // Walk to the deepest node that exists, then report its line.
    let node: unknown = doc.contents;
    let range: [number, number, number] | undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => (it.key as { value?: unknown })?.value === key);
        if (!pair) break;
        range = ((pair.key as { range?: [number, number, number] }).range ?? range) as typeof range;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        range = ((node as { range?: [number, number, number] })?.range ?? range) as typeof range;
      } else break;
    }
    if (!range) return {};
    return { line: lineFromOffset(doc, range[0]) };
  } catch {
    return {};
  }
}

const sources = new WeakMap<Document, string>();
export function parseYamlWithSource(text: string): Document {
  const doc = parseDocument(text, { prettyErrors: true });
  sources.set(doc, text);
  return doc;
}

function lineFromOffset(doc: Document, offset: number): number | undefined {
  const src = sources.get(doc);
  if (src === undefined) return undefined;
  let line = 1;
  for (let i = 0; i < offset && i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
  return line;
}

function dedupe<T extends { field: string; message: string }>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = `${x.field}\0${x.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Closest candidate by edit distance, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
