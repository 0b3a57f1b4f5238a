/**
 * Title extraction: pick the title format of the report's header group whose title regex matches
 * earliest in the report body, then choose the guilty frame from the format's stack parts.
 */
import type { OopsHeader } from "../headers.ts";
import type { ReportKind } from "../types.ts";
import { frameOf, isStackStart } from "../frames.ts";
import { skipRe, stripFramePrefixes } from "../skip.ts";
import { normalizeTitle, sanitizeTitle } from "../normalize.ts";
import { CALL_TRACE as CALL_TRACE_PART, type Part, type StackSpec, type TitleFormat } from "./format.ts";
import { BUG_FORMATS } from "./bug.ts";
import { HUNG_TASK_FORMATS } from "./hung-task.ts";
import { LOCKDEP_FORMATS, OLD_LOCKDEP_FORMATS } from "./lockdep.ts";
import { WARNING_FORMATS } from "./warning.ts";
import {
  DOUBLE_FAULT_FORMATS, GPF_FORMATS, KERNEL_BUG_FORMATS, OOM_FORMATS, PANIC_FORMATS, RCU_STALL_FORMATS,
  TRAP_FORMATS, UNABLE_TO_HANDLE_FORMATS,
} from "./other.ts";

export type { TitleFormat } from "./format.ts";

const GROUPS: Record<string, TitleFormat[]> = {
  "BUG:": [...BUG_FORMATS, ...LOCKDEP_FORMATS],
  "WARNING:": [...LOCKDEP_FORMATS, ...WARNING_FORMATS],
  "INFO:": [...HUNG_TASK_FORMATS, ...RCU_STALL_FORMATS, ...OLD_LOCKDEP_FORMATS, ...LOCKDEP_FORMATS],
  "Unable to handle kernel": UNABLE_TO_HANDLE_FORMATS,
  "general protection fault": GPF_FORMATS,
  "stack segment: ": TRAP_FORMATS,
  "Kernel panic": PANIC_FORMATS,
  "PANIC: double fault": DOUBLE_FAULT_FORMATS,
  "kernel BUG at": KERNEL_BUG_FORMATS,
  "Kernel BUG at": KERNEL_BUG_FORMATS,
  "divide error:": TRAP_FORMATS,
  "invalid opcode:": TRAP_FORMATS,
  "UBSAN:": TRAP_FORMATS,
  "Internal error:": TRAP_FORMATS,
  "invoked oom-killer:": OOM_FORMATS,
  "Out of memory: Kill": OOM_FORMATS,
  "Out of memory and no killable processes": OOM_FORMATS,
  "System is deadlocked on memory": OOM_FORMATS,
};

const FALLBACK_KIND: Record<string, ReportKind> = {
  "BUG:": "bug", "WARNING:": "warning", "INFO:": "other", "Kernel panic": "panic", "PANIC: double fault": "panic",
  "general protection fault": "gpf", "invoked oom-killer:": "oom", "Out of memory: Kill": "oom",
};

export interface TitleResult {
  title: string;
  kind: ReportKind;
  lockdepType?: string;
  /** guilty frame as it appears in the title; `corrupted` when none could be chosen; absent for titles without one */
  frame?: string;
  /** the title stack (generic frames skipped, syscall prefixes stripped), starting at the guilty frame */
  keyFrames: string[];
  corrupted?: string;
  /** index (in the body lines) of the line where the title matched */
  titleLine: number;
}

interface Candidates {
  frames: string[];
}

/** frameOf(lines[i]) when precomputed by the caller (same indices as `lines`), else computed here. */
type FrameAt = readonly (string | undefined)[] | undefined;

function walk(lines: string[], start: number, parts: Part[], frameAt: FrameAt): Candidates {
  const frames: string[] = [];
  let i = start;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (part === "STACK") {
      const next = parts[p + 1];
      for (; i < lines.length; i++) {
        const l = lines[i]!;
        if (next instanceof RegExp && next.test(l)) break;
        if (isStackStart(l)) break;
        const f = frameAt ? frameAt[i] : frameOf(l);
        if (f) frames.push(f);
      }
    } else {
      for (; i < lines.length; i++) {
        const m = part.exec(lines[i]!);
        if (m) {
          if (m[1]) frames.push(m[1]);
          i++;
          break;
        }
      }
    }
  }
  return { frames };
}

function chooseFrame(lines: string[], start: number, spec: StackSpec, frameAt: FrameAt): { frame?: string; keyFrames: string[] } {
  const skip = spec.noSkip ? undefined : skipRe(spec.skip);
  for (const parts of [spec.parts, spec.parts2]) {
    if (!parts) continue;
    const { frames } = walk(lines, start, parts, frameAt);
    const kept = skip ? frames.filter((f) => !skip.test(f)) : frames;
    if (kept.length === 0) continue;
    if (spec.extractor) {
      const r = spec.extractor(kept);
      if (!r) continue;
      const frame = stripFramePrefixes(r.frame);
      return { frame, keyFrames: [frame, ...kept.slice(r.index + 1).map(stripFramePrefixes)] };
    }
    const stripped = kept.map(stripFramePrefixes);
    return { frame: stripped[0], keyFrames: stripped };
  }
  return { keyFrames: [] };
}

/** Callers of the guilty frame from the first Call Trace, when the title parts gave too few frames. */
function extendWithCallTrace(lines: string[], start: number, key: string[], spec: StackSpec, frameAt: FrameAt): string[] {
  const skip = skipRe(spec.skip);
  const extra = walk(lines, start, CALL_TRACE_STACK, frameAt).frames.filter((f) => !skip.test(f)).map(stripFramePrefixes);
  const at = extra.indexOf(key[key.length - 1]!);
  const more = at >= 0 ? extra.slice(at + 1) : extra.filter((f) => !key.includes(f));
  return [...key, ...more];
}

/** syzkaller's stack sanity check: a stack start must be followed by frames. */
function stackProblem(lines: string[], from: number, frameAt: FrameAt): string | undefined {
  let seen = false;
  for (let i = from; i < lines.length; i++) {
    if (!isStackStart(lines[i]!)) continue;
    seen = true;
    if (lines.length - i - 1 < 3) return "truncated stack trace";
    let ok = false;
    for (let j = i + 1; j < lines.length && j <= i + 15; j++) {
      const l = lines[j]!;
      if (isStackStart(l)) break;
      if ((frameAt ? frameAt[j] : frameOf(l)) || l.includes("(stack is not available)")) {
        ok = true;
        break;
      }
    }
    if (!ok) return "stack trace without frames";
  }
  return seen ? undefined : "no stack trace in report";
}

function lineIndexAt(text: string, offset: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

const TIMESTAMP_RE = /\[ *[0-9]+\.[0-9]+\]/;
const CALL_TRACE_STACK: Part[] = [CALL_TRACE_PART, "STACK"];

const LITERALS = new Map<RegExp, string>();

/** requiredLiteral, once per regex. */
function requiredLiteralOf(re: RegExp): string {
  let lit = LITERALS.get(re);
  if (lit === undefined) {
    lit = requiredLiteral(re);
    LITERALS.set(re, lit);
  }
  return lit;
}

/**
 * The longest run of plain characters that every match of `re` contains ("" when unknown): literal
 * characters outside groups and classes, not followed by a quantifier, in a regex without a top-level
 * alternation. A text without it cannot match, so the (much more expensive) regex search is skipped.
 */
export function requiredLiteral(re: RegExp): string {
  if (re.flags.includes("i") || re.flags.includes("u") || re.flags.includes("v")) return "";
  const src = re.source;
  let depth = 0;
  let best = "";
  let run = "";
  const endRun = () => {
    if (run.length > best.length) best = run;
    run = "";
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      const e = src[i + 1];
      i++;
      if (depth === 0 && e !== undefined && /[.*+?()[\]{}|\/\\^$-]/.test(e)) run += e;
      else endRun();
      continue;
    }
    if (c === "[") {
      // skip the class
      endRun();
      for (i++; i < src.length && src[i] !== "]"; i++) if (src[i] === "\\") i++;
      continue;
    }
    if (c === "(") {
      endRun();
      depth++;
      continue;
    }
    if (c === ")") {
      endRun();
      depth--;
      continue;
    }
    if (c === "|") {
      if (depth === 0) return "";
      continue;
    }
    if (c === "?" || c === "*" || c === "+" || c === "{") {
      // the previous character is optional or repeated
      if (run.length > 0) run = run.slice(0, -1);
      endRun();
      if (c === "{") {
        // skip the bounds of {n,m}, or stop at a literal '{' (taken as unknown)
        const q = /^\{[0-9]+(?:,[0-9]*)?\}/.exec(src.slice(i));
        if (q) i += q[0].length - 1;
      }
      continue;
    }
    if (c === "." || c === "^" || c === "$") {
      endRun();
      continue;
    }
    if (depth === 0) run += c;
  }
  endRun();
  return best;
}

/**
 * Title of a report whose body is `lines` (prefix-stripped, same console context, first line = oops line).
 */
export function extractTitle(lines: string[], header: OopsHeader, headerIndex: number, frameAt?: FrameAt): TitleResult {
  const text = lines.join("\n");
  const formats = GROUPS[header.header] ?? [];
  let best: { f: TitleFormat; m: RegExpExecArray } | undefined;
  for (const f of formats) {
    const lit = requiredLiteralOf(f.title);
    if (lit !== "" && text.indexOf(lit) < 0) continue;
    const m = f.title.exec(text);
    if (!m) continue;
    if (!best || m.index < best.m.index) best = { f, m };
  }
  if (!best) {
    const first = lines[0] ?? "";
    const rest = first.slice(headerIndex).trim();
    const bare = rest === header.header.trim();
    const title = normalizeTitle(bare ? `${rest} corrupted` : rest);
    const r: TitleResult = { title, kind: FALLBACK_KIND[header.header] ?? "other", keyFrames: [], titleLine: 0 };
    if (bare) r.corrupted = "header without a message";
    else if (TIMESTAMP_RE.test(rest)) r.corrupted = "interleaved output in the title line";
    return r;
  }
  const { f, m } = best;
  const titleLine = lineIndexAt(text, m.index);
  let frame: string | undefined;
  let keyFrames: string[] = [];
  let corrupted = f.corrupted;
  if (f.stack) {
    const c = chooseFrame(lines, titleLine, f.stack, frameAt);
    keyFrames = c.keyFrames;
    frame = c.frame;
    if (frame && keyFrames.length < 3) keyFrames = extendWithCallTrace(lines, titleLine, keyFrames, f.stack, frameAt);
    if (!frame) {
      frame = "corrupted";
      corrupted ??= "no usable stack frame";
    }
  }
  const raw = f.fmt(m, frame ?? "");
  if (!corrupted && f.report && !f.report.test(text)) corrupted = "report body incomplete";
  if (!corrupted && TIMESTAMP_RE.test(m[0])) corrupted = "interleaved output in the title line";
  if (!corrupted && !f.noStackTrace) corrupted = stackProblem(lines, titleLine, frameAt);
  const r: TitleResult = { title: normalizeTitle(raw), kind: f.kind, keyFrames, titleLine };
  if (f.lockdepType) r.lockdepType = f.lockdepType;
  if (frame !== undefined) r.frame = frame;
  if (corrupted) r.corrupted = corrupted;
  return r;
}

export { sanitizeTitle };
