/** Batch parsing: a whole console or dmesg text in, deduplicated reports out. */
import { createCollector, type Collector, type ReportStreamOptions } from "./stream.ts";
import { completenessOf, dedupKey, maxDef, minDef } from "./merge.ts";
import { joinRaw, joinRawLength } from "./report.ts";
import type { Line } from "./prefix.ts";
import type { Report } from "./types.ts";

/**
 * Feed every line of `text` to `s` (no line after a final newline), handing each completed report to
 * `emit` (with its lines when the collector builds reports without their text).
 */
function feed(text: string, s: Collector, emit: (r: Report, lines: Line[] | undefined) => void): void {
  let pos = 0;
  const len = text.length;
  const got: Report[] = [];
  const lines = s.emittedLines;
  const flush = () => {
    for (let i = 0; i < got.length; i++) emit(got[i]!, lines[i]);
    got.length = 0;
    lines.length = 0;
  };
  while (pos < len) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = len;
    s.pushInto(text.slice(pos, nl), got);
    if (got.length) flush();
    pos = nl + 1;
  }
  got.push(...s.end());
  flush();
}

/** Every report of the log, in order of appearance, without folding repeats. */
export function parseAllReports(text: string, opts?: ReportStreamOptions): Report[] {
  const out: Report[] = [];
  feed(text, createCollector(opts ?? {}, false), (r) => out.push(r));
  // reports complete in any order (interleaved contexts): list them by where they start
  return out.sort((a, b) => a.startLine - b.startLine);
}

interface Folded {
  /** the most complete report of the key (the earliest one among equals), its text not built yet */
  base: Report;
  baseLines: Line[];
  /** completeness of base (merge.ts), computed when needed */
  baseScore: number;
  /** where the key first appears */
  firstLine: number;
  count: number;
  first?: number;
  last?: number;
  folded: boolean;
}

/** merge.ts completeness of a report whose text (not built yet) is its lines joined. */
function completeness(r: Report, lines: Line[]): number {
  return completenessOf(r.corrupted, joinRawLength(lines));
}

/**
 * Whole log → reports, deduplicated (repeats counted in `count`). The same as
 * `mergeReports(parseAllReports(text, opts))`, folded while the reports come out of the collector, so
 * that the repeats are not all held until the end (nor their text built).
 */
export function parseReports(text: string, opts?: ReportStreamOptions): Report[] {
  const byKey = new Map<string, Folded>();
  feed(text, createCollector(opts ?? {}, true), (r, lines) => {
    const k = dedupKey(r);
    const f = byKey.get(k);
    if (!f) {
      byKey.set(k, {
        base: r, baseLines: lines!, baseScore: -1, firstLine: r.startLine, count: r.count, first: r.firstTimestamp,
        last: r.lastTimestamp, folded: false,
      });
      return;
    }
    // mergeReports over reports sorted by startLine: the base is the most complete one, the earliest
    // among equally complete ones; count is the largest; the time range is the union
    f.folded = true;
    const cr = completeness(r, lines!);
    if (f.baseScore < 0) f.baseScore = completeness(f.base, f.baseLines);
    if (cr > f.baseScore || (cr === f.baseScore && r.startLine < f.base.startLine)) {
      f.base = r;
      f.baseLines = lines!;
      f.baseScore = cr;
    }
    if (r.startLine < f.firstLine) f.firstLine = r.startLine;
    if (r.count > f.count) f.count = r.count;
    f.first = minDef(f.first, r.firstTimestamp);
    f.last = maxDef(f.last, r.lastTimestamp);
  });
  const all = [...byKey.values()].sort((a, b) => a.firstLine - b.firstLine);
  return all.map((f) => {
    f.base.text = joinRaw(f.baseLines);
    if (!f.folded) return f.base;
    const out: Report = { ...f.base, count: f.count };
    if (f.first !== undefined) out.firstTimestamp = f.first;
    if (f.last !== undefined) out.lastTimestamp = f.last;
    return out;
  });
}
