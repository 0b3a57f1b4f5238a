import type { z } from "zod";
import { isMap, isSeq, parseDocument, type Document } from "yaml";
import { UserInputError } from "../common/errors.ts";

/** Problems listed in full in a ConfigError's message; the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 20;

/** A bad scenario or suite file: names the file, the field and what was expected. Exit code 2. */
export class ConfigError extends UserInputError {
  constructor(
    readonly file: string,
    readonly problems: { field: string; message: string; line?: number }[],
  ) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length - shown.length;
    super(
      `${file}: invalid configuration\n` +
        shown.map((p) => `  - ${p.field}${p.line ? ` (line ${p.line})` : ""}: ${clip(p.message)}`).join("\n") +
        (more > 0 ? `\n  … and ${more} more problem${more > 1 ? "s" : ""}` : ""),
    );
  }
}

/** A message at most 500 characters long (a field's value can be anything). */
function clip(s: string): string {
  return s.length > 500 ? `${s.slice(0, 500)}…` : s;
}

/** Problems that get a line number and a "did you mean" hint (more than a message shows). */
const DETAILED_PROBLEMS = 2 * MAX_PROBLEMS_SHOWN;

/** Turn zod issues into ConfigError problems with YAML line numbers and "did you mean" hints. */
export function describeIssues(issues: z.core.$ZodIssue[], doc: Document | undefined, known: (path: PropertyKey[]) => string[]): ConfigError["problems"] {
  const out: ConfigError["problems"] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const candidates = known(issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        // Hints and lines for the problems a message shows; past that only the count matters (stays linear).
        const detailed = out.length < DETAILED_PROBLEMS;
        const near = detailed ? closest(key, candidates) : undefined;
        out.push({
          field: fieldName(path),
          message:
            `unknown field ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}` +
            (near ? `; did you mean "${near}"?` : "") +
            (candidates.length && detailed ? ` Expected one of: ${candidates.join(", ")}` : ""),
          ...(detailed ? lineOf(doc, path) : {}),
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
    out.push({ field: fieldName(issue.path), message: humanMessage(issue), ...(out.length < DETAILED_PROBLEMS ? lineOf(doc, issue.path) : {}) });
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
  const clip = (k: string) => (k.length > 80 ? `${k.slice(0, 80)}…` : k);
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? clip(String(p)) : `.${clip(String(p))}`)).join("");
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

/** Offsets where each line starts, per parsed document, for line numbers in O(log n). */
const lineStarts = new WeakMap<Document, number[]>();
export function parseYamlWithSource(text: string): Document {
  // yaml's own duplicate-key check is quadratic (16,000 keys: 14 s): duplicateKeys() below is linear.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  lineStarts.set(doc, starts);
  return doc;
}

/** Keys given twice in one mapping (a YAML error), with their lines. Linear in the document's size. */
export function duplicateKeys(doc: Document): { field: string; message: string; line?: number }[] {
  const out: { field: string; message: string; line?: number }[] = [];
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = (pair.key as { value?: unknown } | null)?.value;
        const key = typeof k === "string" || typeof k === "number" || typeof k === "boolean" ? String(k) : undefined;
        if (key !== undefined) {
          if (seen.has(key) && out.length < 100) {
            const offset = (pair.key as { range?: [number, number, number] }).range?.[0];
            const line = offset !== undefined ? lineFromOffset(doc, offset) : undefined;
            out.push({ field: fieldName([...path, key]), message: "this key is given twice in the same mapping", ...(line ? { line } : {}) });
          }
          seen.add(key);
        }
        walk(pair.value, key !== undefined ? [...path, key] : path);
      }
    } else if (isSeq(node)) node.items.forEach((it, i) => walk(it, [...path, i]));
  };
  walk(doc.contents, []);
  return out;
}

function lineFromOffset(doc: Document, offset: number): number | undefined {
  const starts = lineStarts.get(doc);
  if (!starts) return undefined;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
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
  if (word.length > 100) return undefined; // no field name is that long; keep it linear
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
