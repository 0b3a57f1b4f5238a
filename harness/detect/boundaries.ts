/**
 * Line classes that decide where a report ends: stack markers, register dumps, tail lines that still
 * belong to a finished stack (irq stamps, lock lists, panic footer) and preamble lines printed before
 * a header (`cut here`, the check_flush_dependency message).
 */
import { frameOf, isFrame, isQuestionableFrame, isStackStart, STACK_START_RE } from "./frames.ts";

export { STACK_START_RE, isStackStart };

/** Register and code lines of x86/arm64 dumps (`RIP: 0010:…`, `RAX: …`, `Code: …`, `pc : …`). */
const REGS_RE = /^\s*(?:R[A-Z0-9]{1,3}|E[A-Z]{2}|[CDEFGS]S|CR[0-9]|DR[0-9]|EFLAGS|ORIG_RAX|PKRU|Code|NIP|MSR|LR|CTR|XER|CCR|pc|lr|sp|x[0-9]{1,2}|pstate) ?: /;

export function isStackish(text: string): boolean {
  if (text.length === 0) return false;
  if (isFrame(text)) return true;
  if (isQuestionableFrame(text)) return true;
  let k = 0;
  while (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9) k++;
  const c = text.charCodeAt(k);
  if (c === 60 /* < */) return true; // <IRQ> </IRQ> <EOI> <NMI> <TASK> </TASK>
  if (c === 45 /* - */ && text.startsWith("---", k)) return true;
  return REGS_RE.test(text) || text.endsWith("[inline]");
}

/** Lines that may follow the end of a stack and still belong to the same report. */
const TAIL_RE = new RegExp([
  String.raw`^\s*$`, "^\\s", "^=+$", "^-+$", "irq event stamp", "hardirqs last", "softirqs last",
  "---\\[ end", "Kernel panic - not syncing", "Kernel Offset", "Rebooting in", "Showing all locks held",
  "locks? held by", "^ *#[0-9]+:", "NMI backtrace", "Sending NMI", "^CPU: [0-9]+", "Hardware name:",
  "Modules linked in", "Workqueue:", "Call (?:T|t)race", "^Disabling lock debugging", "^\\[ end trace",
  "^task:", "Not tainted", "^Tainted:", "hung_task_timeout_secs", "^RIP:", "^RSP:", "^Code:", "^Dumping ftrace",
  "^Mem abort info", "^Data abort info", "^pc : ", "^lr : ", "^sp : ", "^x[0-9]+:", "^Internal error",
  "^Oops", "^invalid opcode", "^\\? ", "^<", "^---", "^\\*\\*\\*", "^kmemleak", "^Sending NMI", "^Stack:",
].join("|"));

export function isTailLine(text: string, extra?: RegExp): boolean {
  if (TAIL_RE.test(text)) return true;
  if (isStackish(text)) return true;
  return extra !== undefined && extra.test(text);
}

/** Lines printed just before the header they belong to. */
export const PREAMBLE_RE = /cut here|^=+$|is flushing !WQ_MEM_RECLAIM|^ODEBUG: |^workqueue: /;

/** Headers of reports that are not WARN()s (their `cut here` belongs to someone else). */
export const LOCKDEP_HEADER_RE =
  /possible (?:circular|recursive) locking|inconsistent lock state|lock order detected|lock inversion dependency|suspicious RCU usage|bad unlock balance|held lock freed|lock held when returning|still has locks held/;

/** Cheap "looks like part of a kernel report" test for the idle-close rule. */
export function isReportLike(text: string): boolean {
  if (text.length === 0) return true;
  const c = text.charCodeAt(0);
  // whitespace, punctuation that starts dump lines, digits (page dumps, task tables)
  if (c === 32 || c === 9 || c === 91 || c === 60 || c === 35 || c === 45 || c === 61 || c === 42 || c === 62 || c === 40 || (c >= 48 && c <= 57)) return true;
  const colon = text.indexOf(":");
  if (colon > 0 && colon < 40) return true;
  return isStackish(text) || isStackStart(text);
}

export type ReportFamily = "sanitizer" | "rcu-stall" | "hung-task" | "oom" | "generic";

const SANITIZER_RE = /(?:KASAN|KMSAN|KCSAN|UBSAN|KFENCE):/;
const RCU_STALL_RE = /detected (?:expedited )?stall|self-detected stall/;
const HUNG_TASK_RE = /INFO: task .* blocked for more than/;

/** Family of a header line, deciding the end rules while the report is collected. */
export function familyOf(text: string): ReportFamily {
  if (SANITIZER_RE.test(text)) return "sanitizer";
  if (RCU_STALL_RE.test(text)) return "rcu-stall";
  if (HUNG_TASK_RE.test(text)) return "hung-task";
  if (text.includes("invoked oom-killer:")) return "oom";
  return "generic";
}

export const FAMILY_TAIL: Record<ReportFamily, RegExp | undefined> = {
  sanitizer: undefined,
  "rcu-stall": /^rcu:|^Task dump for CPU|\(detected by|^task:|^\s*\(t=|rcu_.*kthread|^RCU grace-period/,
  "hung-task": /^task:|Not tainted|^"echo 0|Showing all locks|locks? held by|^INFO: lockdep is turned off/,
  oom: /^oom_reaper:|^oom-kill:/,
  generic: undefined,
};

export { frameOf, isQuestionableFrame };
