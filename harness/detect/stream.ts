/**
 * The report collector. Lines go in one at a time (a console follower, or the batch parser splitting a
 * whole log); each report comes out once it is complete: at an end marker, when the next report
 * starts, when a finished stack is followed by unrelated output, after too many unrelated lines, or on
 * `end()`. Memory is bounded: at most `maxReportLines` lines per report, `maxOpenReports` open reports
 * (one per console context) and a few lines of look-behind per context.
 */
import { BOOTING, PROBE_RE, findHeader, isEndMarker, type OopsHeader } from "./headers.ts";
import { CONTINUATION_CTX, parseLineLazy, type Line } from "./prefix.ts";
import { detachedPrefix, splitCRs } from "./lines.ts";
import { MAX_LINE_CHARS } from "./limits.ts";
import {
  FAMILY_TAIL, LOCKDEP_HEADER_RE, PREAMBLE_RE, isStackStart, familyOf, isReportLike, isStackish,
  isTailLine, type ReportFamily,
} from "./boundaries.ts";
import { isFrame } from "./frames.ts";
import { VM_DISCONNECTED, createReportBuilder } from "./report.ts";
import { dedupKey } from "./merge.ts";
import type { Report } from "./types.ts";

export interface ReportStreamOptions {
  /** lines kept per report; a longer report is cut and marked corrupted ("truncated") */
  maxReportLines?: number;
  /** characters kept per report (raw lines); a longer report is cut and marked corrupted ("truncated") */
  maxReportChars?: number;
  /** consecutive lines that do not look like report output before an unfinished report is closed */
  idleLines?: number;
  /** consecutive lines of other console contexts (other CPUs/tasks) before an open report is closed */
  maxForeignLines?: number;
  /** reports collected at the same time (one per console context) */
  maxOpenReports?: number;
}

export interface ReportStream {
  /** feed one console line (without its newline); returns the reports completed by it */
  push(line: string): Report[];
  /** the input is over: returns every report still open */
  end(): Report[];
}

/** A report being collected. */
export interface OpenReport {
  ctx: string;
  header: OopsHeader;
  headerIndex: number;
  family: ReportFamily;
  lines: Line[];
  /** index in `lines` of the header line (lines before it are preamble) */
  bodyStart: number;
  state: "body" | "stack" | "tail";
  taskDepth: number;
  sawTaskMarker: boolean;
  framesInStack: number;
  unrelated: number;
  foreign: number;
  acceptAllCpus: boolean;
  gap: number;
  /** characters of the raw lines so far */
  chars: number;
  truncated?: string;
  /**
   * The report of the same caller context that this one's header cut short: it is emitted when this
   * one is, its title searched in its own lines and then in this report's (see `continuation`).
   */
  cutShort?: OpenReport;
  /** lines printed after the report, by the same task or CPU, where its title may still be found */
  continuation?: Line[];
  /** the VM disconnected while the report was open (see VM_DISCONNECTED in report.ts) */
  disconnected?: boolean;
}

/**
 * Lines of the next report lent to one it cut short. syzkaller searches a report's title in everything
 * its task printed after it when the console has caller ids (`[ T123]`): a lockdep splat interrupted
 * by a GPF is named by the GPF's stack.
 */
const CONTINUATION_LINES = 300;

/** A caller-id context (`T123`, `C1`), as opposed to "" and "console". */
function isCallerCtx(ctx: string): boolean {
  return ctx !== "" && ctx !== "console";
}

const LOOKBEHIND = 4;
/** printk's marker before a message printed again because its first printing was cut off. */
const REPLAYING = "** replaying previous printk message **";
const MAX_STACK_GAP = 2;
const MAX_CONTEXTS = 64;

/** The OOM killer's verdict: the end of an OOM report's body. */
const OOM_KILL_RE = /[Oo]ut of memory: Kill/;
/** A line of `=`: the end of a sanitizer report's body. */
const RULER_RE = /^=+$/;

/** A line that may belong to the preamble of the header that follows it. */
function preambleLine(t: string, lockdepHeader: boolean): boolean {
  return t.trim() === "" || (PREAMBLE_RE.test(t) && !(lockdepHeader && t.includes("cut here")));
}

export function createReportStream(opts: ReportStreamOptions = {}): ReportStream {
  const s = createCollector(opts, false);
  return { push: s.push, end: s.end };
}

/** The collector behind ReportStream, with the batch parser's extras. */
export interface Collector extends ReportStream {
  /** push(), adding the completed reports to `out` */
  pushInto(line: string, out: Report[]): void;
  /** end(), the open reports cut for `reason` (they are marked corrupted with it) */
  end(reason?: string): Report[];
  /**
   * a line already split and cut (lines.ts) with its line number and offset (see LineSink), adding
   * the completed reports to `out`
   */
  pushLine(line: string, n: number, out: Report[], off?: number): void;
  /** with lazyText: the lines of each report added to an `out` array so far, in the same order (the caller empties it) */
  emittedLines: Line[][];
}

/**
 * @param lazyText reports come out with `text: ""` and `count: 1`, their lines go to `emittedLines`
 * (for the batch parser, which keeps one report per key, builds the text of that one only and counts
 * the repeats itself)
 */
export function createCollector(opts: ReportStreamOptions, lazyText: boolean): Collector {
  const maxLines = Math.max(20, opts.maxReportLines ?? 2000);
  const maxChars = Math.max(20 * MAX_LINE_CHARS, opts.maxReportChars ?? 256 * 1024);
  const idleLines = opts.idleLines ?? 30;
  const maxForeign = opts.maxForeignLines ?? 200;
  const maxOpen = opts.maxOpenReports ?? 8;

  const open = new Map<string, OpenReport>();
  const recent = new Map<string, Line[]>();
  const seen = new Map<string, number>();
  const buildReport = createReportBuilder(lazyText);
  const emittedLines: Line[][] = [];
  let lineNo = 0;
  /** context of the previous line (a `dmesg` continuation line belongs to it) */
  let lastCtx = "";

  function remember(l: Line): void {
    let ring = recent.get(l.ctx);
    if (!ring) {
      if (recent.size >= MAX_CONTEXTS) recent.delete(recent.keys().next().value!);
      ring = [];
      recent.set(l.ctx, ring);
    }
    ring.push(l);
    if (ring.length > LOOKBEHIND) ring.shift();
  }

  // the open report of the previous line's context (consecutive lines mostly share one): valid while
  // `open` is unchanged
  let openVersion = 0;
  let memoVersion = -1;
  let memoCtx = "";
  let memoCur: OpenReport | undefined;

  function openOf(ctx: string): OpenReport | undefined {
    if (memoVersion !== openVersion || memoCtx !== ctx) {
      memoCur = open.get(ctx);
      memoCtx = ctx;
      memoVersion = openVersion;
    }
    return memoCur;
  }

  function finish(r: OpenReport, out: Report[], reason?: string): void {
    if (open.get(r.ctx) === r) {
      open.delete(r.ctx);
      openVersion++;
    }
    flushCutShort(r, out);
    if (reason && !r.truncated) r.truncated = reason;
    const rep = buildReport(r);
    if (!lazyText) {
      // the batch parser counts the repeats as it folds them (parse.ts)
      const key = dedupKey(rep);
      const n = (seen.get(key) ?? 0) + 1;
      // a flat copy as the key: the report's strings may point into the input chunk
      if (n > 1) seen.set(key, n);
      else if (seen.size < 100_000) seen.set(key.length > 12 ? (" " + key).slice(1) : key, n);
      rep.count = n;
    }
    out.push(rep);
    if (lazyText) emittedLines.push(r.lines);
  }

  /** Emit the report `r` cut short, its title searched in `r`'s lines too. At most one waits per report. */
  function flushCutShort(r: OpenReport, out: Report[]): void {
    const prev = r.cutShort;
    if (!prev) return;
    r.cutShort = undefined;
    prev.continuation = r.lines.length > CONTINUATION_LINES ? r.lines.slice(0, CONTINUATION_LINES) : r.lines.slice();
    finish(prev, out);
  }

  function append(r: OpenReport, l: Line, out: Report[]): boolean {
    if (r.lines.length >= maxLines) {
      finish(r, out, "truncated: report longer than " + maxLines + " lines");
      return false;
    }
    if (r.chars + l.raw.length > maxChars) {
      finish(r, out, "truncated: report longer than " + maxChars + " characters");
      return false;
    }
    r.chars += l.raw.length + 1;
    r.lines.push(l);
    return true;
  }

  /** Take the preamble of a new report: trailing lines of the report it closes, or recent lines. */
  function preamble(header: Line, prev: OpenReport | undefined): Line[] {
    const lockdep = LOCKDEP_HEADER_RE.test(header.text);
    const ctx = header.ctx;
    const src = prev ? prev.lines : recent.get(ctx) ?? [];
    const minIdx = prev ? prev.bodyStart + 1 : 0;
    let i = src.length;
    let next = header.n;
    // adjacent lines only (a few lines of other contexts may sit in between)
    while (i > minIdx && src.length - i < LOOKBEHIND && next - src[i - 1]!.n <= 3 && preambleLine(src[i - 1]!.text, lockdep)) {
      next = src[i - 1]!.n;
      i--;
    }
    let taken = src.slice(i);
    while (taken.length && taken[0]!.text.trim() === "") taken = taken.slice(1);
    if (!taken.some((l) => l.text.trim() !== "")) return [];
    if (prev) prev.lines.length = src.length - taken.length;
    else recent.set(ctx, src.slice(0, src.length - taken.length));
    return taken;
  }

  /** The report the previous line started (see REPLAYING). */
  let justStarted: OpenReport | undefined;
  /** A kernel has printed (a timestamped line or its banner): only then is "Booting the kernel" a reboot, not this boot's decompressor. */
  let kernelSeen = false;

  /** Forget a report whose header line turned out to be a truncated printk: the one it cut short goes on. */
  function unstart(r: OpenReport): void {
    open.delete(r.ctx);
    openVersion++;
    const prev = r.cutShort;
    if (prev) {
      prev.lines.push(...r.lines.slice(0, r.bodyStart));
      open.set(prev.ctx, prev);
    } else recent.set(r.ctx, r.lines.slice(0, r.bodyStart));
  }

  function start(l: Line, header: OopsHeader, index: number, out: Report[]): void {
    const prev = open.get(l.ctx);
    let pre: Line[];
    let cutShort: OpenReport | undefined;
    if (prev) {
      pre = preamble(l, prev);
      if (isCallerCtx(l.ctx)) {
        // emitted with the new report (see cutShort); the one it cut short itself goes now
        flushCutShort(prev, out);
        cutShort = prev;
        open.delete(prev.ctx);
        openVersion++;
      } else finish(prev, out);
    } else {
      pre = preamble(l, undefined);
    }
    if (open.size >= maxOpen) {
      // the oldest open report gives way
      const oldest = open.values().next().value!;
      finish(oldest, out);
    }
    const family = familyOf(l.text);
    openVersion++;
    open.set(l.ctx, {
      ctx: l.ctx, header, headerIndex: index, family, lines: [...pre, l], bodyStart: pre.length,
      state: "body", taskDepth: 0, sawTaskMarker: false, framesInStack: 0, unrelated: 0, foreign: 0,
      acceptAllCpus: false, gap: 0, chars: [...pre, l].reduce((n, x) => n + x.raw.length + 1, 0), cutShort,
    });
  }

  /** Feed a same-context line to an open report. Returns false if the line was not taken. */
  function feed(r: OpenReport, l: Line, out: Report[], probe: boolean): boolean {
    const t = l.text;
    r.foreign = 0;
    if (probe && isEndMarker(t)) {
      if (!append(r, l, out)) return false;
      if (t.includes("end Kernel panic")) finish(r, out);
      else r.state = "tail";
      return true;
    }
    if (r.family === "oom" && OOM_KILL_RE.test(t)) {
      if (!append(r, l, out)) return false;
      r.state = "tail";
      return true;
    }
    if (r.family === "sanitizer" && r.state !== "tail" && RULER_RE.test(t) && r.lines.length - r.bodyStart > 3) {
      if (!append(r, l, out)) return false;
      r.state = "tail";
      return true;
    }
    if (r.state === "stack" && !r.sawTaskMarker && r.framesInStack > 0 && r.family !== "sanitizer" && r.family !== "oom") {
      // old kernels have no <TASK> markers: the stack ends at the first line that is not part of it,
      // but a line or two of interleaved output inside a stack does not end it
      if (isStackish(t)) r.gap = 0;
      else if (isTailLine(t, FAMILY_TAIL[r.family])) r.state = "tail";
      else if (++r.gap > MAX_STACK_GAP) {
        r.lines.length -= r.gap - 1;
        finish(r, out);
        return false;
      }
    }
    if (r.state === "tail") {
      if (!isTailLine(t, FAMILY_TAIL[r.family])) {
        finish(r, out);
        return false;
      }
      if (isStackStart(t, probe) || t.includes("<TASK>")) r.state = "stack";
      if (!append(r, l, out)) return false;
      trackStack(r, t, probe);
      return true;
    }
    if (!append(r, l, out)) return false;
    if (probe && t.includes("Sending NMI from CPU")) r.acceptAllCpus = true;
    trackStack(r, t, probe);
    if (isReportLike(t)) r.unrelated = 0;
    else if (++r.unrelated >= idleLines) {
      r.lines.length -= r.unrelated;
      finish(r, out);
    }
    return true;
  }

  function trackStack(r: OpenReport, t: string, probe: boolean): void {
    let k = 0;
    while (t.charCodeAt(k) === 32 || t.charCodeAt(k) === 9) k++;
    const marker = t.charCodeAt(k) === 60 /* < */;
    if (marker && t.startsWith("<TASK>", k)) {
      r.taskDepth++;
      r.sawTaskMarker = true;
      r.state = "stack";
    } else if (marker && t.startsWith("</TASK>", k)) {
      r.taskDepth--;
      if (r.taskDepth <= 0) {
        r.taskDepth = 0;
        if (r.family !== "sanitizer" && r.family !== "oom") r.state = "tail";
      }
    } else if (isStackStart(t, probe)) {
      if (r.state !== "tail") r.state = "stack";
      r.framesInStack = 0;
    } else if (r.state === "stack" && !r.sawTaskMarker && isFrame(t)) {
      // framesInStack only matters for stacks without <TASK> markers (see feed)
      r.framesInStack++;
    }
  }

  function push(raw: string): Report[] {
    const out: Report[] = [];
    pushInto(raw, out);
    return out;
  }

  /** One line as a follower reads it: cut to the cap, split at lone CRs; every piece has its number. */
  function pushInto(raw: string, out: Report[]): void {
    const n = ++lineNo;
    const line = raw.length > MAX_LINE_CHARS ? detachedPrefix(raw, 0, raw.length) : raw;
    if (line.indexOf("\r") < 0) pushLine(line, n, out);
    else splitCRs(line, (piece) => pushLine(piece, n, out));
  }

  /** A line without '\r' and at most MAX_LINE_CHARS long (see lines.ts), with its line number and offset. */
  function pushLine(raw: string, n: number, out: Report[], off = -1): void {
    if (n > lineNo) lineNo = n;
    if (raw.charCodeAt(0) === 42 /* * */ && raw.startsWith(REPLAYING)) {
      // the previous line was cut off and is printed again next: it starts no report (syzkaller)
      if (justStarted && open.get(justStarted.ctx) === justStarted) unstart(justStarted);
      justStarted = undefined;
      return;
    }
    justStarted = undefined;
    const l = parseLineLazy(raw, n, false, off);
    if (l.text.charCodeAt(0) === 115 /* s */ && l.text.startsWith(VM_DISCONNECTED)) {
      // and the ones they cut short, which wait to be emitted with them
      for (const r of open.values()) {
        r.disconnected = true;
        if (r.cutShort) r.cutShort.disconnected = true;
      }
    }
    const probe = PROBE_RE.test(l.text);
    if (l.ctx === CONTINUATION_CTX) l.ctx = lastCtx;
    lastCtx = l.ctx;
    const found = findHeader(l.text, probe);
    const hit = found && (kernelSeen || found.header.header !== BOOTING) ? found : undefined;
    if (!kernelSeen && (l.tsKind !== 0 || l.text.startsWith("Linux version"))) kernelSeen = true;
    let cur = openOf(l.ctx);
    if (!cur && l.ctx.charCodeAt(0) === 67 /* C */) {
      for (const r of open.values()) if (r.acceptAllCpus) { cur = r; break; }
    }
    if (hit) {
      if (cur && (hit.header.continuation?.test(l.text) || (hit.header.weak && cur.state === "stack"))) {
        if (feed(cur, l, out, probe)) return;
        // the report was closed: fall through and start a new one
      }
      start(l, hit.header, hit.index, out);
      justStarted = open.get(l.ctx);
      return;
    }
    let taken = false;
    if (cur) taken = feed(cur, l, out, probe);
    // other open reports see a foreign line
    if (open.size > (taken ? 1 : 0)) {
      let done: OpenReport[] | undefined;
      for (const r of open.values()) {
        if (r === cur) continue;
        r.foreign++;
        const limit = r.state === "tail" ? (r.ctx === "console" || r.ctx === "" ? 0 : 20) : maxForeign;
        if (r.foreign > limit) (done ??= []).push(r);
      }
      if (done) for (const r of done) finish(r, out);
    }
    if (!taken) remember(l);
  }

  function end(cut?: string): Report[] {
    const out: Report[] = [];
    for (const r of [...open.values()]) {
      const unfinished = r.sawTaskMarker && r.taskDepth > 0 ? "truncated: log ended inside the stack trace" : undefined;
      finish(r, out, cut ?? unfinished);
    }
    return out;
  }

  return { push, pushInto, pushLine, end, emittedLines };
}
