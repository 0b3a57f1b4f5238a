/**
 * Batch parsing: a whole console or dmesg log (one string, or chunks read from a file) in,
 * deduplicated reports out, within an optional time budget.
 */
import { createCollector, type Collector, type ReportStreamOptions } from "./stream.ts";
import { completenessOf, dedupKey, maxDef, minDef } from "./merge.ts";
import { joinRaw, joinRawLength } from "./report.ts";
import { createLineSplitter, type LineSplitter } from "./lines.ts";
import type { Line } from "./prefix.ts";
import type { Report } from "./types.ts";

export interface ParseOptions extends ReportStreamOptions {
  /**
   * Stop reading the log after this many milliseconds of parsing: the reports found so far are
   * returned, the one being collected as far as it got (marked corrupted, "truncated: parse time
   * budget ran out"), and the result says `complete: false`.
   */
  budgetMs?: number;
}

export interface ParseResult {
  reports: Report[];
  /** false when the time budget ran out before the end of the log */
  complete: boolean;
  /** lines parsed (all of them when complete) */
  lines: number;
}

/** A log parser fed in chunks (e.g. from a file stream); `end()` gives the deduplicated reports. */
export interface LogParser {
  write(chunk: string): void;
  end(): ParseResult;
}

/** How often (in lines) the clock is read against the budget. Each line costs a bounded time. */
const BUDGET_CHECK_LINES = 256;

interface Folded {
  /** the most complete report of the key (the earliest one among equals), its text built */
  base: Report;
  /** completeness of base (merge.ts) */
  baseScore: number;
  /** where the key first appears */
  firstLine: number;
  count: number;
  first?: number;
  last?: number;
  folded: boolean;
}

/**
 * The report a key keeps, its text built now so that its lines can go: holding every line object of
 * every report to the end would make each garbage collection walk them all.
 * @param copy share no memory with the input either: strings cut from a chunk (a line, a frame
 * name) keep the whole chunk alive, and a report kept to the end of a long streamed log must not.
 */
function keep(r: Report, lines: Line[], copy: boolean, source: string | undefined): Report {
  r.text = joinRaw(lines, source);
  return copy ? structuredClone(r) : r;
}

/**
 * Reports folded by key while they come out of the collector (see parseReports).
 * @param source the whole log, when it is parsed from one string (a report's text is cut out of it)
 */
function createFolder(copy: boolean, source: string | undefined) {
  const byKey = new Map<string, Folded>();
  function add(r: Report, lines: Line[]): void {
    const k = dedupKey(r);
    const f = byKey.get(k);
    if (!f) {
      const base = keep(r, lines, copy, source);
      byKey.set(copy ? detachKey(k) : k, {
        base, baseScore: completenessOf(base.corrupted, base.text.length), firstLine: r.startLine,
        count: r.count, first: r.firstTimestamp, last: r.lastTimestamp, folded: false,
      });
      return;
    }
    // mergeReports over reports sorted by startLine: the base is the most complete one, the earliest
    // among equally complete ones; count is how many there are; the time range is the union
    f.folded = true;
    const cr = completenessOf(r.corrupted, joinRawLength(lines));
    if (cr > f.baseScore || (cr === f.baseScore && r.startLine < f.base.startLine)) {
      f.base = keep(r, lines, copy, source);
      f.baseScore = cr;
    }
    if (r.startLine < f.firstLine) f.firstLine = r.startLine;
    // the collector of a batch parser leaves counting to it: every report of the key is one more
    f.count += r.count;
    f.first = minDef(f.first, r.firstTimestamp);
    f.last = maxDef(f.last, r.lastTimestamp);
  }
  function result(): Report[] {
    const all = [...byKey.values()].sort((a, b) => a.firstLine - b.firstLine);
    return all.map((f) => {
      if (!f.folded) return f.base;
      const out: Report = { ...f.base, count: f.count };
      if (f.first !== undefined) out.firstTimestamp = f.first;
      if (f.last !== undefined) out.lastTimestamp = f.last;
      return out;
    });
  }
  return { add, result };
}

/** A flat copy of a map key (see keep). */
function detachKey(k: string): string {
  return k.length > 12 ? (" " + k).slice(1) : k;
}

/**
 * Lines of chunks → collector, each completed report to `emit` (with its lines when the collector
 * builds reports without their text), the clock checked against the budget every few hundred lines.
 */
function createFeeder(
  s: Collector, opts: ParseOptions, emit: (r: Report, lines: Line[] | undefined) => void,
): { splitter: LineSplitter; finish(): { complete: boolean; lines: number } } {
  const got: Report[] = [];
  const emitted = s.emittedLines;
  const flush = () => {
    for (let i = 0; i < got.length; i++) emit(got[i]!, emitted[i]);
    got.length = 0;
    emitted.length = 0;
  };
  const budget = opts.budgetMs;
  const deadline = budget === undefined ? Infinity : performance.now() + Math.max(0, budget);
  let sinceCheck = 0;
  let outOfTime = false;
  let last = 0;
  const splitter = createLineSplitter((line, n, off) => {
    if (outOfTime) return;
    if (++sinceCheck >= BUDGET_CHECK_LINES && deadline !== Infinity) {
      sinceCheck = 0;
      if (performance.now() > deadline) {
        outOfTime = true;
        splitter.stop();
        return;
      }
    }
    last = n;
    s.pushLine(line, n, got, off);
    if (got.length) flush();
  });
  return {
    splitter,
    finish() {
      splitter.end();
      got.push(...s.end(outOfTime ? "truncated: parse time budget ran out" : undefined));
      flush();
      return { complete: !outOfTime, lines: last };
    },
  };
}

/**
 * A parser of one log fed in chunks (a file read in pieces), folding repeats (see parseReports). The
 * reports it keeps share no memory with the chunks, so memory grows with the distinct reports found,
 * not with the log.
 */
export function createLogParser(opts: ParseOptions = {}): LogParser {
  return logParser(opts, true, undefined);
}

/** @param source the whole log when it is written in one piece (see createFolder) */
function logParser(opts: ParseOptions, copy: boolean, source: string | undefined): LogParser {
  const folder = createFolder(copy, source);
  const feeder = createFeeder(createCollector(opts, true), opts, (r, lines) => folder.add(r, lines!));
  return {
    write: (chunk) => feeder.splitter.write(chunk),
    end() {
      const { complete, lines } = feeder.finish();
      return { reports: folder.result(), complete, lines };
    },
  };
}

/** Every report of the log, in order of appearance, without folding repeats. */
export function parseAllReports(text: string, opts?: ParseOptions): Report[] {
  const out: Report[] = [];
  const feeder = createFeeder(createCollector(opts ?? {}, false), opts ?? {}, (r) => out.push(r));
  feeder.splitter.write(text);
  feeder.finish();
  // reports complete in any order (interleaved contexts): list them by where they start
  return out.sort((a, b) => a.startLine - b.startLine);
}

/**
 * Whole log → reports, deduplicated (repeats counted in `count`), with whether the whole log was
 * parsed within `opts.budgetMs`. The same as `mergeReports(parseAllReports(text, opts))`, folded
 * while the reports come out of the collector, so that the repeats are not all held until the end
 * (nor their text built).
 */
export function parseReportsWithin(text: string, opts?: ParseOptions): ParseResult {
  // the reports may point into `text`: it is the caller's already
  const p = logParser(opts ?? {}, false, text);
  p.write(text);
  return p.end();
}

/** Whole log → reports, deduplicated (see parseReportsWithin). */
export function parseReports(text: string, opts?: ParseOptions): Report[] {
  return parseReportsWithin(text, opts).reports;
}
