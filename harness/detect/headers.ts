/**
 * Oops headers: the substrings that start a kernel report, in priority order, with the lines that look
 * like one but are not (syzkaller's per-header suppressions plus hangar's OOM headers).
 */

export interface OopsHeader {
  /** substring searched in the stripped line */
  header: string;
  /** the line is not a report start when one of these matches */
  ignore?: RegExp;
  /** inside an already open report this header continues it instead of starting a new one */
  continuation?: RegExp;
  /** does not interrupt a report whose stack is being printed (interleaved output, e.g. OOM) */
  weak?: boolean;
}

export const OOPS_HEADERS: OopsHeader[] = [
  {
    header: "BUG:",
    ignore: /ODEBUG:|Boot_DEBUG:|xlog_status:|DEBUG:|BUG: no syscalls can create resource/,
  },
  {
    header: "WARNING:",
    ignore: new RegExp([
      "/etc/ssh/moduli", "workqueue cpumask: online intersect > possible intersect",
      "[Tt]he mand mount option", "Unsupported flag value", "Unprivileged eBPF is enabled with eIBRS",
      "fbcon: .* virtual screen size", "See https.* for mitigation", "kernel not compiled with CPU_SRSO",
      "EXT4-fs", "uses (?:deprecated v2 capabilities|wireless extensions)", "XFS \\(.*\\): WARNING",
    ].join("|")),
  },
  {
    header: "INFO:",
    ignore: new RegExp([
      "INFO: lockdep is turned off", "INFO: Stall ended before state dump start", "INFO: NMI handler",
      "(?:handler|interrupt).*took too long", "_INFO:", "rmt_storage:INFO:",
      "INFO: (?:Allocated|Freed|Slab 0x|Object 0x)",
    ].join("|")),
  },
  { header: "Unable to handle kernel" },
  { header: "general protection fault", ignore: /general protection fault .* error:\d+ in |traps: .*general protection/ },
  { header: "stack segment: " },
  {
    header: "Kernel panic",
    continuation: /Kernel panic - not syncing/,
  },
  { header: "PANIC: double fault", continuation: /PANIC: double fault/ },
  { header: "kernel BUG at" },
  { header: "Kernel BUG at" },
  { header: "divide error:" },
  { header: "invalid opcode:", continuation: /invalid opcode:/ },
  { header: "UBSAN:" },
  { header: "Internal error:", continuation: /Internal error:/ },
  { header: "invoked oom-killer:", weak: true },
  { header: "Out of memory: Kill", continuation: /Out of memory: Kill/, weak: true },
  { header: "Out of memory and no killable processes" },
  { header: "System is deadlocked on memory" },
];

/**
 * Quick prefilter: every header contains one of these fragments. A single alternation is much cheaper
 * than testing each header on each line.
 */
const PREFILTER = /BUG|WARNING:|INFO:|Unable to handle|general protection|stack segment|[Pp]anic|PANIC|divide error|invalid opcode|UBSAN|Internal error|oom-killer|Out of memory|deadlocked on memory/;

export interface HeaderHit {
  header: OopsHeader;
  /** index of the header substring in the line */
  index: number;
}

/** The first oops header found in a (prefix-stripped) line, honouring the suppressions. */
export function findHeader(text: string): HeaderHit | undefined {
  // nearly every header has a ':'; the few that may not are checked by substring (cheap on frame lines)
  if (text.indexOf(":") < 0) {
    if (text.indexOf("BUG at") < 0 && text.indexOf("protection fault") < 0 && text.indexOf(" memory") < 0 && text.indexOf("Kernel panic") < 0 &&
      text.indexOf("Unable to handle") < 0) {
      return undefined;
    }
  }
  if (!PREFILTER.test(text)) return undefined;
  for (const h of OOPS_HEADERS) {
    const i = text.indexOf(h.header);
    if (i < 0) continue;
    if (h.ignore && h.ignore.test(text)) continue;
    return { header: h, index: i };
  }
  return undefined;
}

/** Lines that end a report (inclusive). */
export function isEndMarker(text: string): boolean {
  return text.startsWith("---[ end ") || text.includes("---[ end trace") || text.includes("---[ end Kernel panic");
}
