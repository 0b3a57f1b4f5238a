/**
 * Known issues (kdevops' expunge lists with a rate, xfstests-bld's flakes): a YAML file of kernel
 * reports that are expected at some rate, each with its bug link. Checked with zod; a wrong field
 * stops the night before any guest boots, naming the file, the field, its line and what was expected.
 *
 * ```yaml
 * maybe_fixed_after: 5            # nights in a row without the issue before it is listed as maybe fixed
 * issues:
 *   - id: xfs-inodegc-flake         # optional; default: the bug link
 *     scenario: xfs-inodegc-shrinker-scrub   # optional: only this scenario (exact name)
 *     kernel: debian                # optional: only this kernel (the nightly's kernel name)
 *     signature: "hung-task:…"      # the report's signature, exactly; or
 *     title: "^INFO: task hung in xfs_"      # a regular expression on the report's title
 *     bug: https://lore.kernel.org/…
 *     rate: 0.3                     # expected share of attempts: 0.3, "30%" or "3/10"
 *     expires: 2027-03-01           # optional: after this day the entry no longer excuses anything (and warns)
 * ```
 */
import { readFile } from "node:fs/promises";
import { LineCounter, isMap, isSeq, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { UserInputError } from "../common/index.ts";

export interface KnownIssue {
  id: string;
  scenario?: string;
  kernel?: string;
  signature?: string;
  title?: RegExp;
  bug: string;
  rate: number;
  /** yyyy-mm-dd, inclusive: the entry applies through that day (UTC). */
  expires?: string;
  note?: string;
}

export interface KnownIssues {
  file: string;
  maybeFixedAfter: number;
  issues: KnownIssue[];
}

export const DEFAULT_MAYBE_FIXED_AFTER = 5;

/** A bad known-issues file: exit code 2. */
export class KnownIssuesError extends UserInputError {
  constructor(
    readonly file: string,
    readonly problems: { field: string; message: string; line?: number }[],
  ) {
    super(`${file}: invalid known-issues file\n` + problems.map((p) => `  - ${p.field}${p.line ? ` (line ${p.line})` : ""}: ${p.message}`).join("\n"));
  }
}

/** "0.3", 0.3, "30%", "3/10" → 0.3; undefined when it is none of these or outside [0, 1]. */
export function parseRate(v: unknown): number | undefined {
  let r: number | undefined;
  if (typeof v === "number") r = v;
  else if (typeof v === "string") {
    const s = v.trim();
    let m: RegExpMatchArray | null;
    if ((m = s.match(/^(\d+(?:\.\d+)?)\s*%$/))) r = Number(m[1]) / 100;
    else if ((m = s.match(/^(\d+)\s*\/\s*(\d+)$/))) r = Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : undefined;
    else if (/^\d*\.?\d+$/.test(s)) r = Number(s);
  }
  return r !== undefined && Number.isFinite(r) && r >= 0 && r <= 1 ? r : undefined;
}

const day = /^\d{4}-\d{2}-\d{2}$/;
const ISSUE_FIELDS = ["id", "scenario", "kernel", "signature", "title", "bug", "rate", "expires", "note"];
const FILE_FIELDS = ["maybe_fixed_after", "issues"];

const issueSchema = z
  .strictObject({
    id: z.string().min(1).optional(),
    scenario: z.string().min(1).optional(),
    kernel: z.string().min(1).optional(),
    signature: z.string().min(1, "expected a report signature (see `hangar parse --json`)").optional(),
    title: z
      .string()
      .min(1)
      .refine((s) => {
        try {
          new RegExp(s);
          return true;
        } catch {
          return false;
        }
      }, "expected a valid regular expression on the report title")
      .optional(),
    bug: z.string().min(1, "expected a bug link (URL or tracker id)"),
    rate: z.union([z.number(), z.string()]).refine((v) => parseRate(v) !== undefined, 'expected a rate within [0, 1]: 0.3, "30%" or "3/10"'),
    expires: z
      .string()
      .refine((s) => day.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "expected a date as yyyy-mm-dd")
      .optional(),
    note: z.string().optional(),
  })
  .refine((x) => (x.signature === undefined) !== (x.title === undefined), {
    message: "expected exactly one of `signature` (exact) or `title` (regular expression)",
  });

const fileSchema = z.strictObject({
  maybe_fixed_after: z.number().int().min(1).default(DEFAULT_MAYBE_FIXED_AFTER),
  issues: z.array(issueSchema).default([]),
});

function fieldName(path: readonly PropertyKey[]): string {
  if (!path.length) return "(top level)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

/** Line of the deepest node of `path` that exists. */
function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as { range?: number[] })?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown })?.value === key);
      if (!pair) break;
      offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number") {
      node = node.items[key];
      offset = (node as { range?: number[] })?.range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

/** Parse and check a known-issues file's text (`file` names it in errors). */
export function parseKnownIssues(text: string, file: string): KnownIssues {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  if (doc.errors.length) {
    throw new KnownIssuesError(file, doc.errors.map((e) => ({ field: "(yaml)", message: e.message.split("\n")[0] ?? e.message, line: e.linePos?.[0]?.line })));
  }
  const raw = doc.toJS() ?? {};
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => {
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => {
          const path = [...issue.path, k];
          const known = issue.path.length ? ISSUE_FIELDS : FILE_FIELDS;
          return { field: fieldName(path), message: `unknown field "${k}"; expected one of: ${known.join(", ")}`, line: lineOf(doc, lc, path) };
        });
      }
      const message =
        issue.code === "invalid_type" && issue.input === undefined ? `missing; expected ${issue.expected}` : issue.message.replace(/^Invalid input: /, "");
      return [{ field: fieldName(issue.path), message, line: lineOf(doc, lc, issue.path) }];
    });
    throw new KnownIssuesError(file, problems);
  }
  const ids = new Set<string>();
  const problems: KnownIssuesError["problems"] = [];
  const issues = parsed.data.issues.map((x, i): KnownIssue => {
    const id = x.id ?? x.bug;
    if (ids.has(id)) problems.push({ field: `issues[${i}].id`, message: `"${id}" appears twice; give each entry its own id`, line: lineOf(doc, lc, ["issues", i]) });
    ids.add(id);
    return {
      id,
      bug: x.bug,
      rate: parseRate(x.rate)!,
      ...(x.scenario ? { scenario: x.scenario } : {}),
      ...(x.kernel ? { kernel: x.kernel } : {}),
      ...(x.signature ? { signature: x.signature } : {}),
      ...(x.title ? { title: new RegExp(x.title) } : {}),
      ...(x.expires ? { expires: x.expires } : {}),
      ...(x.note ? { note: x.note } : {}),
    };
  });
  if (problems.length) throw new KnownIssuesError(file, problems);
  return { file, maybeFixedAfter: parsed.data.maybe_fixed_after, issues };
}

export async function loadKnownIssues(file: string): Promise<KnownIssues> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new KnownIssuesError(file, [{ field: "(file)", message: `cannot read it: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return parseKnownIssues(text, file);
}

/** Has the entry expired on `today` (yyyy-mm-dd, UTC)? It applies through its `expires` day. */
export function isExpired(k: KnownIssue, today: string): boolean {
  return k.expires !== undefined && k.expires < today;
}

export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Entries that still apply, and a warning for each expired one. */
export function activeIssues(k: KnownIssues | undefined, today: string): { active: KnownIssue[]; warnings: string[] } {
  if (!k) return { active: [], warnings: [] };
  const warnings: string[] = [];
  const active = k.issues.filter((i) => {
    if (!isExpired(i, today)) return true;
    warnings.push(`${k.file}: known issue "${i.id}" (${i.bug}) expired on ${i.expires}: it no longer excuses reports; renew or remove it`);
    return false;
  });
  return { active, warnings };
}

/** The first entry that covers this signature in this scenario on this kernel. */
export function knownIssueFor(issues: readonly KnownIssue[], where: { scenario: string; kernel: string }, sig: { signature: string; title: string }): KnownIssue | undefined {
  return issues.find(
    (k) =>
      (k.scenario === undefined || k.scenario === where.scenario) &&
      (k.kernel === undefined || k.kernel === where.kernel) &&
      (k.signature !== undefined ? k.signature === sig.signature : !!k.title?.test(sig.title)),
  );
}
