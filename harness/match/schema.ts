/**
 * The YAML-facing shape of expected signatures. Every object is `.strict()`: a misspelled field is an
 * error that names the field, never a silently ignored matcher.
 */
import { z } from "zod";
import { REPORT_KINDS, type ReportKind } from "../detect/index.ts";
import { backtrackingRisk } from "./regex-safety.ts";

function isValidRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

/** Regexes longer than this are refused (they are matched against short titles, frames and names). */
const MAX_REGEX_LENGTH = 1000;

/** A JavaScript regular expression, checked when the file is loaded: valid, and no catastrophic backtracking. */
const regex = z
  .string()
  .min(1)
  .max(MAX_REGEX_LENGTH)
  .superRefine((s, ctx) => {
    if (!isValidRegex(s)) ctx.addIssue({ code: "custom", message: "not a valid regular expression" });
    else {
      const risk = backtrackingRisk(s);
      if (risk) ctx.addIssue({ code: "custom", message: `unsafe regular expression: ${risk}; rewrite it without a repetition inside a repetition` });
    }
  });

/** A name, or a regular expression written between slashes (`/^xfs_/`), checked like `regex`. */
const nameOrRegex = z
  .string()
  .min(1)
  .max(MAX_REGEX_LENGTH)
  .superRefine((s, ctx) => {
    if (!(s.length > 2 && s.startsWith("/") && s.endsWith("/"))) return;
    const body = s.slice(1, -1);
    if (!isValidRegex(body)) ctx.addIssue({ code: "custom", message: "not a valid /regular expression/" });
    else {
      const risk = backtrackingRisk(body);
      if (risk) ctx.addIssue({ code: "custom", message: `unsafe /regular expression/: ${risk}; rewrite it without a repetition inside a repetition` });
    }
  });

const MATCHERS = ["kind", "title", "frames", "anyFrames", "lockClasses", "workqueues", "task", "signature"] as const;

export type ExpectedSignature = {
  /** what a human calls this report, used in every message */
  name: string;
  kind?: ReportKind;
  /** regular expression on the report title */
  title?: string;
  /** function names (or /regex/) that must all appear among the report's frames */
  frames?: string[];
  /** `frames` must appear in this order (top of stack first) */
  ordered?: boolean;
  /** at least one of these must appear among the report's frames */
  anyFrames?: string[];
  /** lock classes (or /regex/) that must all appear in the lockdep report (cycle, chain or named locks) */
  lockClasses?: string[];
  /** workqueue names (or /regex/) that must all appear in a check_flush_dependency warning */
  workqueues?: string[];
  /** regular expression on the comm of the report's task (hung task, warning task, lockdep task) */
  task?: string;
  /** exact report signature, as printed by `hangar parse` */
  signature?: string;
};

export const expectedSignatureSchema = z
  .object({
    name: z.string().min(1),
    kind: z.enum(REPORT_KINDS as unknown as [ReportKind, ...ReportKind[]]).optional(),
    title: regex.optional(),
    frames: z.array(nameOrRegex).min(1).optional(),
    ordered: z.boolean().optional(),
    anyFrames: z.array(nameOrRegex).min(1).optional(),
    lockClasses: z.array(nameOrRegex).min(1).optional(),
    workqueues: z.array(nameOrRegex).min(1).optional(),
    task: regex.optional(),
    signature: z.string().min(1).optional(),
  })
  .strict()
  .refine((e) => MATCHERS.some((k) => e[k] !== undefined), {
    message: `an expected signature needs at least one of: ${MATCHERS.join(", ")}`,
  })
  .refine((e) => !e.ordered || e.frames !== undefined, { message: "`ordered` needs `frames`", path: ["ordered"] }) satisfies z.ZodType<ExpectedSignature>;

export const expectationsSchema = z
  .object({
    /** reports that mean "reproduced"; empty for scenarios expected to stay clean */
    signatures: z.array(expectedSignatureSchema),
    /** reports that must not appear: any of them makes the attempt `unexpected` */
    forbid: z.array(expectedSignatureSchema).optional(),
    /** reports to disregard (known benign warnings, OOM kills under deliberate pressure…) */
    ignore: z.array(expectedSignatureSchema).optional(),
  })
  .strict();

export type Expectations = z.infer<typeof expectationsSchema>;

/** One line per problem, naming the path and the field: `signatures[0]: unknown field "frame"`. */
export function formatSchemaError(err: z.ZodError): string[] {
  return err.issues.map((i) => {
    const path = i.path
      .map((p, k) => (typeof p === "number" ? `[${p}]` : k === 0 ? String(p) : `.${String(p)}`))
      .join("");
    const where = path ? `${path}: ` : "";
    if (i.code === "unrecognized_keys") {
      const keys = (i as { keys: string[] }).keys;
      return `${where}unknown field${keys.length > 1 ? "s" : ""} ${keys.map((k) => `"${k}"`).join(", ")}`;
    }
    return `${where}${i.message}`;
  });
}
