/**
 * Title extraction: pick the title format of the report's header group whose title regex matches
 * earliest in the report body, then choose the guilty frame from the format's stack parts.
 */
import type { OopsHeader } from "../headers.ts";
import type { ReportKind } from "../types.ts";
import { demangle, frameOf, isStackStart } from "../frames.ts";
import { skipRe, stripFramePrefixes } from "../skip.ts";
import { normalizeTitle, sanitizeTitle } from "../normalize.ts";
import { TITLE_WINDOW_LINES } from "../limits.ts";
import { CALL_TRACE as CALL_TRACE_PART, type Part, type StackSpec, type TitleFormat } from "./format.ts";
import { BUG_FORMATS } from "./bug.ts";
import { HUNG_TASK_FORMATS } from "./hung-task.ts";
import { LOCKDEP_FORMATS, OLD_LOCKDEP_FORMATS } from "./lockdep.ts";
import { WARNING_FORMATS } from "./warning.ts";
import {
  DOUBLE_FAULT_FORMATS, GPF_FORMATS, INT3_FORMATS, KERNEL_BUG_FORMATS, SLUB_INFO_FORMATS, OOM_FORMATS, PANIC_FORMATS, RCU_STALL_FORMATS,
  TRAP_FORMATS, UNABLE_TO_HANDLE_FORMATS, UNHANDLED_FAULT_FORMATS, REBOOT_FORMATS, NETDEV_FORMATS,
} from "./other.ts";

export type { TitleFormat } from "./format.ts";

const GROUPS: Record<string, TitleFormat[]> = {
  "BUG:": [...BUG_FORMATS, ...LOCKDEP_FORMATS],
  "WARNING:": [...LOCKDEP_FORMATS, ...WARNING_FORMATS],
  "INFO:": [...HUNG_TASK_FORMATS, ...RCU_STALL_FORMATS, ...OLD_LOCKDEP_FORMATS, ...LOCKDEP_FORMATS, ...SLUB_INFO_FORMATS],
  "Unable to handle kernel": UNABLE_TO_HANDLE_FORMATS,
  "general protection fault": GPF_FORMATS,
  "stack segment: ": TRAP_FORMATS,
  "Kernel panic": PANIC_FORMATS,
  "PANIC: double fault": DOUBLE_FAULT_FORMATS,
  "kernel BUG at": KERNEL_BUG_FORMATS,
  "Kernel BUG at": KERNEL_BUG_FORMATS,
  "divide error:": TRAP_FORMATS,
  "int3:": INT3_FORMATS,
  "invalid opcode:": TRAP_FORMATS,
  "UBSAN:": TRAP_FORMATS,
  "Internal error:": TRAP_FORMATS,
  "Unhandled fault:": UNHANDLED_FAULT_FORMATS,
  "Booting the kernel": REBOOT_FORMATS,
  "unregister_netdevice: waiting for": NETDEV_FORMATS,
  // `SYZFAIL:`, `panic:`, `fatal error:`: no format, the title is the line from the header on
  "invoked oom-killer:": OOM_FORMATS,
  "Out of memory: Kill": OOM_FORMATS,
  "Out of memory and no killable processes": OOM_FORMATS,
  "System is deadlocked on memory": OOM_FORMATS,
};

/** The title formats of a header group, in the order they are tried. */
export function titleFormatsOf(headerGroup: string): readonly TitleFormat[] {
  return GROUPS[headerGroup] ?? [];
}

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
  faultInjection: boolean;
}

/** frameOf(lines[i]) when precomputed by the caller (same indices as `lines`), else computed here. */
type FrameAt = readonly (string | undefined)[] | undefined;

/**
 * A fault-injection frame (`should_fail`, `should_failslab`, with any compiler suffix): its stack is
 * the injected failure's, printed in the middle of the report, so syzkaller calls the report corrupted.
 */
const FAULT_INJECTION_RE = /^(?: \[<?(?:0x)?[0-9a-f]+>?\])? should_fail(?:slab)?(?:\.[a-z0-9.]+)?\+0x/;

function walk(lines: string[], start: number, parts: Part[], frameAt: FrameAt): Candidates {
  const frames: string[] = [];
  let faultInjection = false;
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
        if (f && f.startsWith("should_fail") && FAULT_INJECTION_RE.test(l)) {
          // syzkaller gives up on this part at such a line
          faultInjection = true;
          i++;
          break;
        }
        if (f) frames.push(f);
      }
    } else {
      for (; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.includes("should_fail") && FAULT_INJECTION_RE.test(l)) {
          faultInjection = true;
          i++;
          break;
        }
        const m = part.exec(l);
        if (m) {
          // the capture of the alternative that matched (a part may be `A|B`, each with its own group)
          let g: string | undefined;
          for (let k = 1; k < m.length && !g; k++) g = m[k];
          if (g) frames.push(demangle(g));
          i++;
          break;
        }
      }
    }
  }
  return { frames, faultInjection };
}

/** Frames of the title stack kept (report.ts keeps 8 of them). */
const KEY_FRAMES = 8;

interface Choice {
  frame?: string;
  keyFrames: string[];
  /**
   * a fault-injection frame was met: the frame is `corrupted` unless parts2 found one, and the report
   * is corrupted either way (notes §4: such a frame "marks the report corrupted")
   */
  faultInjection?: boolean;
}

function chooseFrame(lines: string[], start: number, spec: StackSpec, frameAt: FrameAt): Choice {
  const skip = spec.noSkip ? undefined : skipRe(spec.skip);
  let faultInjection = false;
  for (const parts of [spec.parts, spec.parts2]) {
    if (!parts) continue;
    const c = walk(lines, start, parts, frameAt);
    if (c.faultInjection) {
      faultInjection = true;
      continue;
    }
    if (!spec.extractor) {
      // the first frames that are not skipped (the guilty one and a few callers): the rest is not tested
      const stripped: string[] = [];
      for (const f of c.frames) {
        if (skip && skip.test(f)) continue;
        stripped.push(stripFramePrefixes(f));
        if (stripped.length >= KEY_FRAMES) break;
      }
      if (stripped.length === 0) continue;
      return { frame: stripped[0], keyFrames: stripped, faultInjection };
    }
    // the extractors' anchors name the frames as printed (`ksys_ioctl`), prefixes are stripped after
    const frames = c.frames;
    const memo: (boolean | undefined)[] = [];
    const skipped = (i: number): boolean => (memo[i] ??= skip !== undefined && skip.test(frames[i]!));
    const r = spec.extractor(frames, skipped);
    if (!r) continue;
    const frame = stripFramePrefixes(r.frame);
    const keyFrames = [frame];
    for (let i = r.index + 1; i < frames.length && keyFrames.length < KEY_FRAMES; i++) {
      if (!skipped(i)) keyFrames.push(stripFramePrefixes(frames[i]!));
    }
    return { frame, keyFrames, faultInjection };
  }
  return faultInjection ? { keyFrames: [], faultInjection } : { keyFrames: [] };
}

/** Callers of the guilty frame from the first Call Trace, when the title parts gave too few frames. */
function extendWithCallTrace(lines: string[], start: number, key: string[], spec: StackSpec, frameAt: FrameAt): string[] {
  const skip = skipRe(spec.skip);
  const last = key[key.length - 1]!;
  const extra: string[] = [];
  let at = -1;
  // the kept frames of the Call Trace, as far as needed: up to KEY_FRAMES past the last key frame
  for (const f of walk(lines, start, CALL_TRACE_STACK, frameAt).frames) {
    if (skip.test(f)) continue;
    const name = stripFramePrefixes(f);
    extra.push(name);
    if (at < 0 && name === last) at = extra.length - 1;
    if ((at >= 0 && extra.length - at > KEY_FRAMES) || extra.length >= 8 * KEY_FRAMES) break;
  }
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
 * Can a match of `re` span lines or depend on the text around the line it is on? Conservative: any
 * construct that can match a '\n' (`\n`, `\s`, `\W`, `\D`, a negated class without `\n` in it),
 * the `s` flag, `^`/`$` without the `m` flag, lookarounds.
 */
export function isMultiLine(re: RegExp): boolean {
  if (re.flags.includes("s")) return true;
  const src = re.source;
  const anchorsPerLine = re.flags.includes("m");
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      if ("nsWDr".includes(src[i + 1] ?? "")) return true;
      i++;
    } else if (c === "[") {
      const negated = src[i + 1] === "^";
      let excludesNL = false;
      for (i += negated ? 2 : 1; i < src.length && src[i] !== "]"; i++) {
        if (src[i] !== "\\") continue;
        const e = src[++i] ?? "";
        if (e === "n") excludesNL = true;
        else if (!negated && "sWD".includes(e)) return true;
      }
      if (negated && !excludesNL) return true;
    } else if (c === "(" && src[i + 1] === "?" && (src[i + 2] === "=" || src[i + 2] === "!" || src[i + 2] === "<")) {
      // lookarounds (a named group `(?<name>` is taken as one too: none is used)
      return true;
    } else if ((c === "^" || c === "$") && !anchorsPerLine) return true;
  }
  return false;
}

interface FormatEntry {
  f: TitleFormat;
  /** requiredLiteral of its title regex */
  lit: string;
  multiLine: boolean;
}

const ENTRIES = new Map<TitleFormat[], FormatEntry[]>();

function entriesOf(formats: TitleFormat[]): FormatEntry[] {
  let e = ENTRIES.get(formats);
  if (!e) {
    e = formats.map((f) => ({ f, lit: requiredLiteral(f.title), multiLine: isMultiLine(f.title) }));
    ENTRIES.set(formats, e);
  }
  return e;
}

function anyLineHas(lines: readonly string[], n: number, lit: string): boolean {
  for (let i = 0; i < n; i++) if (lines[i]!.indexOf(lit) >= 0) return true;
  return false;
}

/** The winning title format of a report: its match, and the line (of the report) the match starts on. */
export interface TitleMatch {
  f: TitleFormat;
  m: RegExpExecArray;
  /** index in the report lines of the line where the match starts */
  line: number;
  /** the matched line from the match on */
  matchedLine: string;
}

/**
 * syzkaller's choice of title format: of the formats of the header group, the one whose title regex
 * matches earliest in the report (its first TITLE_WINDOW_LINES lines joined by '\n'), the first in
 * list order among equals. The same result as running every regex on the joined text, found line by
 * line: a regex that cannot span lines (isMultiLine) is run on one line at a time, from the first
 * line on, and the search stops at the first line where one matches; only the few that can span lines
 * are run on the joined text. Most reports' title is on their first line, so most regexes run on one
 * short line instead of a few kilobytes each.
 */
export function findTitleFormat(lines: readonly string[], headerGroup: string, joined?: () => string): TitleMatch | undefined {
  const formats = GROUPS[headerGroup];
  if (!formats) return undefined;
  const entries = entriesOf(formats);
  const n = Math.min(lines.length, TITLE_WINDOW_LINES);
  let text: string | undefined;
  const getText = (): string => (text ??= joined ? joined() : lines.slice(0, n).join("\n"));
  let best: TitleMatch | undefined;
  let bestOff = Infinity;
  let bestOrder = Infinity;
  let single = false;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    if (!e.multiLine) {
      single = true;
      continue;
    }
    // a literal holds no '\n': it is on one line, and without it on any line the text need not be joined
    if (e.lit !== "" && !anyLineHas(lines, n, e.lit)) continue;
    const t = getText();
    const m = e.f.title.exec(t);
    if (!m || m.index >= bestOff) continue;
    const eol = t.indexOf("\n", m.index);
    best = { f: e.f, m, line: lineIndexAt(t, m.index), matchedLine: t.slice(m.index, eol < 0 ? t.length : eol) };
    bestOff = m.index;
    bestOrder = k;
  }
  if (!single) return best;
  for (let i = 0, lineStart = 0; i < n && lineStart <= bestOff; lineStart += lines[i]!.length + 1, i++) {
    const l = lines[i]!;
    let found = false;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      if (e.multiLine || (e.lit !== "" && l.indexOf(e.lit) < 0)) continue;
      const m = e.f.title.exec(l);
      if (!m) continue;
      found = true;
      const off = lineStart + m.index;
      if (off > bestOff || (off === bestOff && k > bestOrder)) continue;
      best = { f: e.f, m, line: i, matchedLine: m.index === 0 ? l : l.slice(m.index) };
      bestOff = off;
      bestOrder = k;
    }
    if (found) break;
  }
  return best;
}

/**
 * Title of a report whose body is `lines` (prefix-stripped, same console context, first line = oops line).
 */
export function extractTitle(lines: string[], header: OopsHeader, headerIndex: number, frameAt?: FrameAt): TitleResult {
  // the title formats are searched near the oops line only (limits.ts), the stacks in the whole report
  let text: string | undefined;
  const getText = (): string => (text ??= (lines.length > TITLE_WINDOW_LINES ? lines.slice(0, TITLE_WINDOW_LINES) : lines).join("\n"));
  const best = findTitleFormat(lines, header.header, getText);
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
  const titleLine = best.line;
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
      corrupted ??= c.faultInjection ? "fault-injection frame in the stack" : "no usable stack frame";
    } else if (c.faultInjection) corrupted ??= "fault-injection frame in the stack";
  }
  if (f.report && !f.report.test(getText())) {
    // syzkaller: the report lacks what the format needs; the title is the line the format matched
    const r: TitleResult = {
      title: normalizeTitle(best.matchedLine), kind: f.kind, keyFrames: [], titleLine,
      corrupted: "report body incomplete",
    };
    if (f.lockdepType) r.lockdepType = f.lockdepType;
    return r;
  }
  const raw = f.fmt(m, frame ?? "");
  // the title itself, not the text its regex spanned (a multi-line match may cross an interleaved line)
  if (!corrupted && TIMESTAMP_RE.test(raw)) corrupted = "interleaved output in the title line";
  if (!corrupted && !f.noStackTrace) corrupted = stackProblem(lines, titleLine, frameAt);
  const r: TitleResult = { title: normalizeTitle(raw), kind: f.kind, keyFrames, titleLine };
  if (f.lockdepType) r.lockdepType = f.lockdepType;
  if (frame !== undefined) r.frame = frame;
  if (corrupted) r.corrupted = corrupted;
  return r;
}

export { sanitizeTitle };
