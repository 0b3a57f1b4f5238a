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

/** The x86 decompressor's last line: a kernel starting again. */
export const BOOTING = "Booting the kernel";

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
      "(?:handler|interrupt).*took too long", "_INFO:", "rmt_storage:INFO:", "INFO: (?:Slab|Object) 0x",
    ].join("|")),
    // old SLUB-debug records inside a (KASAN) report belong to it; alone, they are a corrupted report
    continuation: /INFO: (?:Allocated|Freed) in /,
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
  { header: "int3:" },
  { header: "invalid opcode:", continuation: /invalid opcode:/ },
  { header: "UBSAN:" },
  { header: "Internal error:", continuation: /Internal error:/ },
  { header: "Unhandled fault:" },
  // a reboot in the middle of a run (once a kernel has printed: see stream.ts); the decompressor's
  // lines echoed in a message (a mount option) are not
  { header: BOOTING, ignore: /Parsing ELF|Decompressing Linux|Unknown parameter '/ },
  // syzkaller never counts it as a second report: inside an open report it is part of it
  { header: "unregister_netdevice: waiting for", continuation: /unregister_netdevice: waiting for/ },
  { header: "SYZFAIL:" },
  { header: "panic:", ignore: /_panic:|ddb\.onpanic:|evtlog_status:|xlog_status:/ },
  { header: "fatal error:", ignore: /ALSA|cannot create timer/ },
  { header: "invoked oom-killer:", weak: true },
  { header: "Out of memory: Kill", continuation: /Out of memory: Kill/, weak: true },
  { header: "Out of memory and no killable processes" },
  { header: "System is deadlocked on memory" },
];

export interface HeaderHit {
  header: OopsHeader;
  /** index of the header substring in the line */
  index: number;
}

/** Every header without a ':' contains one of these (and so may a line that has a ':'). */
const NO_COLON_RE = /BUG at|protection fault| memory|Kernel panic|Unable to handle|Booting the kernel/;

/**
 * Could a header with a ':' end at this colon? Those headers are `BUG:`, `WARNING:`, `INFO:`,
 * `stack segment: `, `PANIC: double fault`, `divide error:`, `invalid opcode:`, `UBSAN:`,
 * `Internal error:`, `Unhandled fault:`, `unregister_netdevice: waiting for`, `SYZFAIL:`, `panic:`,
 * `fatal error:`, `invoked oom-killer:`, `int3:` and `Out of memory: Kill`.
 */
function headerColon(t: string, c: number): boolean {
  switch (t.charCodeAt(c - 1)) {
    case 71 /* G */: return c >= 3 && (t.startsWith("BUG", c - 3) || (c >= 7 && t.startsWith("WARNING", c - 7)));
    case 79 /* O */: return c >= 4 && t.startsWith("INFO", c - 4);
    case 116 /* t */: return (c >= 7 && t.startsWith("segment", c - 7)) || (c >= 5 && t.startsWith("fault", c - 5));
    case 76 /* L */: return c >= 7 && t.startsWith("SYZFAIL", c - 7);
    case 99 /* c */: return c >= 5 && t.startsWith("panic", c - 5);
    case 67 /* C */: return c >= 5 && t.startsWith("PANIC", c - 5);
    case 114 /* r */: return (c >= 5 && t.startsWith("error", c - 5)) || (c >= 6 && t.startsWith("killer", c - 6));
    case 51 /* 3 */: return c >= 4 && t.startsWith("int3", c - 4);
    case 101 /* e */: return (c >= 6 && t.startsWith("opcode", c - 6)) || (c >= 9 && t.startsWith("netdevice", c - 9));
    case 78 /* N */: return c >= 5 && t.startsWith("UBSAN", c - 5);
    case 121 /* y */: return c >= 6 && t.startsWith("memory", c - 6);
    default: return false;
  }
}

/**
 * One regex for the substrings the collector looks for on every line besides the ':'-headers: the
 * headers without a ':' (NO_COLON_RE: `Out of memory and…`, `System is deadlocked on memory`,
 * `general protection fault`, …), end markers (`---[ end`), `Sending NMI from CPU`, `Call ` (stack
 * starts) and '\r' (see parseLineLazy). A line it does not match contains none of them, which saves a
 * search per probe. It may match more lines than needed: every test it guards is exact. Alternatives
 * that start with an upper-case letter are the fastest for irregexp to scan a line for.
 */
export const PROBE_RE =
  /BUG at|Kernel panic|Unable to handle|---\[ end|Sending NMI from CPU|Call |\r|Out of memory|System is deadlocked|general protection|Booting the kernel/;

/**
 * Cheap necessary condition for findHeader: the line may contain one of the OOPS_HEADERS.
 * `probe`: PROBE_RE.test(text) when the caller knows it (false: none of its substrings is in the line).
 */
function mayHaveHeader(text: string, probe: boolean): boolean {
  for (let c = text.indexOf(":"); c >= 0; c = text.indexOf(":", c + 1)) if (headerColon(text, c)) return true;
  return probe && NO_COLON_RE.test(text);
}

/**
 * The first oops header found in a (prefix-stripped) line, honouring the suppressions.
 * `probe`: PROBE_RE.test(text), when the caller has it already.
 */
export function findHeader(text: string, probe: boolean = PROBE_RE.test(text)): HeaderHit | undefined {
  if (!mayHaveHeader(text, probe)) return undefined;
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
  // all three forms contain "---[ end"
  const i = text.indexOf("---[ end");
  if (i < 0) return false;
  return i === 0 ? text.startsWith("---[ end ") || text.includes("---[ end trace") || text.includes("---[ end Kernel panic")
    : text.includes("---[ end trace", i) || text.includes("---[ end Kernel panic", i);
}
