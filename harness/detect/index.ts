/**
 * detect/ — kernel console text in, reports out. Pure: no I/O.
 */
export type { ReportKind, Report, LockdepInfo, WarningInfo, FlushDependency, TaskRef } from "./types.ts";
export { REPORT_KINDS } from "./types.ts";
export {
  parseReports, parseAllReports, parseReportsWithin, createLogParser, type ParseOptions, type ParseResult, type LogParser,
} from "./parse.ts";
export { createLineSplitter, forEachLine, type LineSplitter, type LineSink } from "./lines.ts";
export { MAX_LINE_CHARS } from "./limits.ts";
export { createReportStream, type ReportStream, type ReportStreamOptions } from "./stream.ts";
export { mergeReports, dedupKey } from "./merge.ts";
export { stripSyzkallerHeader, parseSyzkallerHeader, syzkallerHeaderLines, type SyzkallerHeader } from "./syz-header.ts";
export { parseLine, type LogLine } from "./prefix.ts";
export { normalizeFrame } from "./frames.ts";
export { normalizeTitle } from "./normalize.ts";
export { computeSignature, titleSubtype } from "./signature.ts";
export { normalizeLockClass, canonicalCycle } from "./lockdep.ts";
export { flushDependencyOf } from "./warning.ts";
