/** The shape of a title format and the building blocks shared by all of them. */
import type { ReportKind } from "../types.ts";

/** A stack part: a line regex (its first capture group that matched, if any, is a candidate frame) or a stack walk. */
export type Part = RegExp | "STACK";

export interface StackSpec {
  parts: Part[];
  /** tried when `parts` yields no usable frame */
  parts2?: Part[];
  /** extra skip patterns on top of the global list */
  skip?: string[];
  /** skip nothing (take captures as they are) */
  noSkip?: boolean;
  /**
   * custom choice among the frames that are not skipped: `frames` is every candidate, `skipped(i)`
   * says whether frames[i] is skipped (asked lazily: the skip list is the costly test); returns the
   * choice and its index in `frames`
   */
  extractor?: (frames: string[], skipped: (i: number) => boolean) => { frame: string; index: number } | undefined;
}

export interface TitleFormat {
  kind: ReportKind;
  /** searched in the report body (lines joined by "\n"); the earliest match across formats wins */
  title: RegExp;
  /** when given, must match as well, otherwise the report is corrupted */
  report?: RegExp;
  /** builds the title from the title match and the chosen frame */
  fmt: (m: RegExpExecArray, frame: string) => string;
  stack?: StackSpec;
  /** the format does not require a stack trace (no "no stack trace" corruption) */
  noStackTrace?: boolean;
  /** the format itself means the report lost its real header */
  corrupted?: string;
  /** lockdep subtype, when kind is lockdep */
  lockdepType?: string;
}

// ---- building blocks (paraphrasing syzkaller's templates) ----
export const FUNC = String.raw`([a-zA-Z0-9_]+)(?:\.|\+)`;
export const PC = String.raw`\[<?(?:0x)?[0-9a-f]+>?\]`;
export const SRC = String.raw`([a-zA-Z0-9\-_/.]+\.[a-z]+:[0-9]+)`;
export const TASK = String.raw`[\s\S]{0,100}?`;

export function re(src: string, flags = ""): RegExp {
  return new RegExp(src.replace(/\{\{FUNC\}\}/g, FUNC).replace(/\{\{PC\}\}/g, PC).replace(/\{\{SRC\}\}/g, SRC).replace(/\{\{TASK\}\}/g, TASK), flags);
}

export const CALL_TRACE = /Call (?:T|t)race:|^Backtrace:/;
/** The faulting instruction line: x86 `RIP: 0010:func+0x1/0x2`, arm64 `pc : func+…`, ppc `NIP`, old `PC is at`. */
export const IP_LINE = re(
  String.raw`(?:IP|NIP|pc |PC is at|epc ):? (?:(?:[0-9]+:)?(?:{{PC}} +){0,2}{{FUNC}}|(?:[0-9]+:)?0x[0-9a-f]+|(?:[0-9]+:)?{{PC}} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))`,
);
/** `... at: func+0x1/0x2` lines of lockdep (`at: [<ffff>] func` on old kernels). */
export const AT_LINE = re(String.raw`at: (?:{{PC}} +)?{{FUNC}}`);

export const STACK: Part = "STACK";
