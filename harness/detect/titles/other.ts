/** Titles of the remaining headers: RCU stalls, GPFs, panics, double faults, `kernel BUG`, OOM. */
import { CALL_TRACE, IP_LINE, STACK, re, type TitleFormat } from "./format.ts";
import { stallFrame } from "./stall.ts";

export const RCU_STALL_FORMATS: TitleFormat[] = [
  {
    kind: "rcu-stall",
    title: /INFO: rcu_(?:preempt|sched|bh|tasks) (?:self-)?detected(?: expedited)? stall/,
    fmt: (_m, f) => `INFO: rcu detected stall in ${f}`,
    stack: {
      parts: [/apic_timer_interrupt/, IP_LINE, STACK],
      parts2: [/apic_timer_interrupt|Exception stack|el1h_64_irq/, STACK],
      skip: ["apic_timer_interrupt", "rcu"],
      extractor: stallFrame,
    },
  },
];

export const GPF_FORMATS: TitleFormat[] = [
  {
    kind: "gpf",
    title: /general protection fault.*:/,
    fmt: (_m, f) => `general protection fault in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK] },
  },
];

export const UNABLE_TO_HANDLE_FORMATS: TitleFormat[] = [
  {
    kind: "bug",
    title: /Unable to handle kernel (NULL pointer dereference|paging request)/,
    fmt: (m, f) => `BUG: unable to handle kernel ${m[1]} in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK] },
  },
];

const PANIC = "Kernel panic - not syncing: ";
export const PANIC_FORMATS: TitleFormat[] = [
  {
    kind: "panic",
    // the function the header names, or (when it prints only an address) the stack's
    title: new RegExp(`${PANIC}stack-protector: Kernel stack is corrupted in: `),
    fmt: (_m, f) => `kernel panic: stack is corrupted in ${f}`,
    stack: { parts: [re(String.raw`corrupted in: {{FUNC}}`)], parts2: [CALL_TRACE, STACK], skip: ["stack_chk"] },
    noStackTrace: true,
  },
  {
    kind: "panic",
    title: new RegExp(`${PANIC}corrupted stack end detected inside scheduler`),
    fmt: (_m, f) => `kernel panic: corrupted stack end in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["schedule", "retint_kernel"], extractor: stallFrame },
  },
  {
    kind: "panic",
    title: new RegExp(`${PANIC}kernel stack overflow`),
    fmt: (_m, f) => `kernel stack overflow in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], extractor: stallFrame },
  },
  {
    kind: "panic",
    title: new RegExp(`${PANIC}(Attempted to kill init!|Couldn't open N_TTY ldisc)`),
    fmt: (m) => `kernel panic: ${m[1]}`,
    noStackTrace: true,
  },
  {
    kind: "panic",
    title: new RegExp(`${PANIC}(panic_on_warn set|Fatal exception|hung_task: blocked tasks|softlockup: hung tasks|panic_on_oops|Oops)`),
    fmt: (m) => `kernel panic: ${m[1]}`,
    corrupted: "panic without the report that caused it",
    noStackTrace: true,
  },
  {
    kind: "panic",
    title: new RegExp(`${PANIC}(.*)`),
    fmt: (m) => `kernel panic: ${m[1]}`,
    noStackTrace: true,
  },
];

export const DOUBLE_FAULT_FORMATS: TitleFormat[] = [
  {
    kind: "panic",
    title: /PANIC: double fault/,
    fmt: (_m, f) => `PANIC: double fault in ${f}`,
    stack: { parts: [IP_LINE, STACK] },
  },
];

export const KERNEL_BUG_FORMATS: TitleFormat[] = [
  {
    kind: "bug",
    title: /[Kk]ernel BUG at mm\/usercopy\.c/,
    fmt: (_m, f) => `BUG: bad usercopy in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["usercopy", "__check"] },
  },
  {
    kind: "bug",
    title: /[Kk]ernel BUG at lib\/list_debug\.c/,
    fmt: (_m, f) => `BUG: corrupted list in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK], skip: ["list_"] },
  },
  {
    kind: "bug",
    title: /[Kk]ernel BUG at/,
    fmt: (_m, f) => `kernel BUG in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK], skip: ["^skb_"] },
  },
];

export const INT3_FORMATS: TitleFormat[] = [
  {
    kind: "bug",
    title: /int3: /,
    fmt: (_m, f) => `int3 in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK] },
  },
];

/** Old SLUB-debug split reports: the allocation/free line alone, the report it belonged to is lost. */
export const SLUB_INFO_FORMATS: TitleFormat[] = [
  {
    kind: "other",
    title: /INFO: (Freed|Allocated) in (.*)/,
    fmt: (m) => `INFO: ${m[1]} in ${m[2]}`,
    corrupted: "allocation/free record without its report",
    noStackTrace: true,
  },
];

export const TRAP_FORMATS: TitleFormat[] = [
  {
    kind: "bug",
    title: /divide error: /,
    fmt: (_m, f) => `divide error in ${f}`,
    stack: { parts: [IP_LINE, STACK] },
  },
  {
    kind: "bug",
    title: /invalid opcode: /,
    fmt: (_m, f) => `invalid opcode in ${f}`,
    stack: { parts: [IP_LINE, STACK] },
  },
  {
    kind: "bug",
    title: /stack segment: /,
    fmt: (_m, f) => `stack segment fault in ${f}`,
    stack: { parts: [IP_LINE, STACK] },
  },
  {
    kind: "bug",
    title: /UBSAN: ([a-zA-Z0-9\- ]+?) in /,
    fmt: (m, f) => `UBSAN: ${m[1]} in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["ubsan", "overflow"] },
  },
  {
    kind: "bug",
    title: /Internal error: /,
    fmt: (_m, f) => `Internal error in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK] },
  },
];

const OOM_SKIP = ["oom", "out_of_memory", "dump_header", "alloc_pages", "__alloc_", "_alloc_folio", "get_page_from_freelist",
  "reclaim", "try_to_free", "shrink_", "page_cache", "filemap_", "handle_mm_fault", "do_user_addr_fault", "exc_page_fault",
  "asm_exc_page_fault", "__handle_mm_fault", "do_anonymous_page", "do_fault", "pagefault_out_of_memory"];

export const OOM_FORMATS: TitleFormat[] = [
  {
    kind: "oom",
    title: /(\S+) invoked oom-killer:/,
    fmt: (_m, f) => `out of memory in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: OOM_SKIP },
  },
  {
    kind: "oom",
    title: /Out of memory: Kill(?:ed)? process [0-9]+ \(/,
    fmt: () => "out of memory: killed process",
    noStackTrace: true,
  },
  {
    kind: "oom",
    title: /Out of memory and no killable processes/,
    fmt: () => "out of memory: no killable processes",
    noStackTrace: true,
  },
  {
    kind: "oom",
    title: /System is deadlocked on memory/,
    fmt: () => "out of memory: system is deadlocked on memory",
    noStackTrace: true,
  },
];

export const UNHANDLED_FAULT_FORMATS: TitleFormat[] = [
  {
    kind: "bug",
    // arm: the `PC is at` frame (the `Internal error:` that follows belongs to the same report)
    title: /Unhandled fault: /,
    fmt: (_m, f) => `Unhandled fault in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK] },
  },
];

export const REBOOT_FORMATS: TitleFormat[] = [
  { kind: "other", title: /Booting the kernel/, fmt: () => "unexpected kernel reboot", noStackTrace: true },
];

export const NETDEV_FORMATS: TitleFormat[] = [
  {
    kind: "other",
    // the device's name is not part of the bug
    title: /unregister_netdevice: waiting for (?:.*) to become free/,
    fmt: () => "unregister_netdevice: waiting for DEV to become free",
    noStackTrace: true,
  },
];
