/** Batch parsing: a whole console or dmesg text in, deduplicated reports out. */
import { createReportStream, type ReportStream, type ReportStreamOptions } from "./stream.ts";
import { completeness, dedupKey, maxDef, minDef } from "./merge.ts";
import type { Report } from "./types.ts";

/** Feed every line of `text` to `s` (no line after a final newline), handing each completed report to `emit`. */
function feed(text: string, s: ReportStream, emit: (r: Report) => void): void {
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = len;
    const got = s.push(text.slice(pos, nl));
    for (let i = 0; i < got.length; i++) emit(got[i]!);
    pos = nl + 1;
  }
  const rest = s.end();
  for (let i = 0; i < rest.length; i++) emit(rest[i]!);
}

/** Every report of the log, in order of appearance, without folding repeats. */
export function parseAllReports(text: string, opts?: ReportStreamOptions): Report[] {
  const out: Report[] = [];
  feed(text, createReportStream(opts), (r) => out.push(r));
  // reports complete in any order (interleaved contexts): list them by where they start
  return out.sort((a, b) => a.startLine - b.startLine);
}

interface Folded {
  /** the most complete report of the key (the earliest one among equals) */
  base: Report;
  /** where the key first appears */
  firstLine: number;
  count: number;
  first?: number;
  last?: number;
  folded: boolean;
}

/**
 * Whole log → reports, deduplicated (repeats counted in `count`). The same as
 * `mergeReports(parseAllReports(text, opts))`, folded while the reports come out of the stream, so that
 * the repeats are not all held until the end.
 */
export function parseReports(text: string, opts?: ReportStreamOptions): Report[] {
  const byKey = new Map<string, Folded>();
  feed(text, createReportStream(opts), (r) => {
    const k = dedupKey(r);
    const f = byKey.get(k);
    if (!f) {
      byKey.set(k, { base: r, firstLine: r.startLine, count: r.count, first: r.firstTimestamp, last: r.lastTimestamp, folded: false });
      return;
    }
    // mergeReports over reports sorted by startLine: the base is the most complete one, the earliest
    // among equally complete ones; count is the largest; the time range is the union
    f.folded = true;
    const cr = completeness(r);
    const cb = completeness(f.base);
    if (cr > cb || (cr === cb && r.startLine < f.base.startLine)) f.base = r;
    if (r.startLine < f.firstLine) f.firstLine = r.startLine;
    if (r.count > f.count) f.count = r.count;
    f.first = minDef(f.first, r.firstTimestamp);
    f.last = maxDef(f.last, r.lastTimestamp);
  });
  const all = [...byKey.values()].sort((a, b) => a.firstLine - b.firstLine);
  return all.map((f) => {
    if (!f.folded) return f.base;
    const out: Report = { ...f.base, count: f.count };
    if (f.first !== undefined) out.firstTimestamp = f.first;
    if (f.last !== undefined) out.lastTimestamp = f.last;
    return out;
  });
}
