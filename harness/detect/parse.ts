/** Batch parsing: a whole console or dmesg text in, deduplicated reports out. */
import { createReportStream, type ReportStreamOptions } from "./stream.ts";
import { mergeReports } from "./merge.ts";
import type { Report } from "./types.ts";

/** Every report of the log, in order of appearance, without folding repeats. */
export function parseAllReports(text: string, opts?: ReportStreamOptions): Report[] {
  const s = createReportStream(opts);
  const out: Report[] = [];
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = len;
    const got = s.push(text.slice(pos, nl));
    if (got.length) out.push(...got);
    pos = nl + 1;
  }
  out.push(...s.end());
  // reports complete in any order (interleaved contexts): list them by where they start
  return out.sort((a, b) => a.startLine - b.startLine);
}

/** Whole log → reports, deduplicated (repeats counted in `count`). */
export function parseReports(text: string, opts?: ReportStreamOptions): Report[] {
  return mergeReports(parseAllReports(text, opts));
}
