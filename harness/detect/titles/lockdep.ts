/** Lockdep and RCU-lockdep report titles ("possible deadlock in F", "inconsistent lock state in F", …). */
import { AT_LINE, CALL_TRACE, IP_LINE, STACK, re, type TitleFormat } from "./format.ts";

const deadlock = (_m: RegExpExecArray, f: string) => `possible deadlock in ${f}`;
const LOCKDEP_EXTRA_SKIP = ["process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"];

/**
 * syzkaller's `WARNING: .*-safe -> .*-unsafe lock order detected` (notes §5): any irq class, not only
 * `HARDIRQ`/`SOFTIRQ` (old kernels print `hard-read-safe -> hard-read-unsafe`). The `.*` are narrowed
 * to the class name's characters (letters and '-'), which keeps the match linear in the line.
 */
const SAFE_UNSAFE = (h: string) => new RegExp(`${h}: [A-Za-z-]*-safe -> [A-Za-z-]*-unsafe lock order detected`);
/** `... which became HARDIRQ-irq-safe at:` (old: `hard-read-irq-safe`): the first one names the safe lock. */
const WHICH_BECAME = /which became [A-Za-z-]*safe at:/;

/** Modern (`WARNING:` / `BUG:`) lockdep formats. */
export const LOCKDEP_FORMATS: TitleFormat[] = [
  {
    kind: "lockdep", lockdepType: "circular",
    title: /WARNING: possible circular locking dependency detected/,
    report: /is trying to acquire lock/,
    fmt: deadlock,
    stack: { parts: [AT_LINE, AT_LINE, STACK], skip: LOCKDEP_EXTRA_SKIP },
  },
  {
    kind: "lockdep", lockdepType: "recursive",
    title: /WARNING: possible recursive locking detected/,
    report: /is trying to acquire lock/,
    fmt: deadlock,
    stack: { parts: [/is trying to acquire lock:/, AT_LINE], noSkip: true },
  },
  {
    kind: "lockdep", lockdepType: "irq-inversion",
    title: /WARNING: possible irq lock inversion dependency detected/,
    fmt: deadlock,
    stack: { parts: [/just changed the state of lock:/, AT_LINE], noSkip: true },
  },
  {
    kind: "lockdep", lockdepType: "safe-unsafe",
    title: SAFE_UNSAFE("WARNING"),
    fmt: deadlock,
    stack: { parts: [WHICH_BECAME, STACK], skip: LOCKDEP_EXTRA_SKIP },
  },
  {
    kind: "lockdep", lockdepType: "inconsistent",
    title: /WARNING: inconsistent lock state/,
    report: re(String.raw`takes(?:.*\n){1,4}?.*at: (?:{{PC}} )?{{FUNC}}`),
    fmt: (_m, f) => `inconsistent lock state in ${f}`,
    stack: { parts: [CALL_TRACE, STACK] },
  },
  {
    kind: "lockdep", lockdepType: "held-on-return",
    title: /(WARNING|BUG): lock held when returning to user space/,
    fmt: (m, f) => `${m[1]}: lock held when returning to user space in ${f}`,
    stack: { parts: [/leaving the kernel with locks still held/, AT_LINE], noSkip: true },
    noStackTrace: true,
  },
  {
    kind: "lockdep", lockdepType: "bad-unlock",
    title: /(WARNING|BUG): bad unlock balance detected!/,
    fmt: (m, f) => `${m[1]}: bad unlock balance in ${f}`,
    stack: { parts: [/is trying to release lock/, re(String.raw`^ *(?:{{PC}} )+{{FUNC}}`), CALL_TRACE, STACK], parts2: [CALL_TRACE, STACK] },
  },
  {
    kind: "lockdep", lockdepType: "held-lock-freed",
    title: /(WARNING|BUG): held lock freed!/,
    fmt: (m, f) => `${m[1]}: held lock freed in ${f}`,
    // the function that took the lock being freed (`at:`), then the freeing stack
    stack: { parts: [AT_LINE, CALL_TRACE, STACK] },
  },
  {
    kind: "lockdep", lockdepType: "still-held",
    title: /(WARNING|BUG): .* still has locks held!/,
    fmt: (m, f) => `${m[1]}: still has locks held in ${f}`,
    stack: { parts: [CALL_TRACE, STACK] },
  },
  {
    kind: "lockdep", lockdepType: "locking-bug",
    title: /WARNING: .*kernel\/locking\/lockdep\.c.*lock_/,
    fmt: (_m, f) => `WARNING: locking bug in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK], skip: ["^lock_sock", "^release_sock"] },
  },
  {
    kind: "lockdep", lockdepType: "nested-lock",
    title: /WARNING: Nested lock was not taken/,
    fmt: (_m, f) => `WARNING: nested lock was not taken in ${f}`,
    stack: { parts: [CALL_TRACE, STACK] },
  },
  {
    kind: "lockdep", lockdepType: "locking-bug",
    title: /BUG: Invalid wait context/,
    fmt: (_m, f) => `WARNING: locking bug in ${f}`,
    stack: { parts: [CALL_TRACE, STACK] },
  },
  {
    kind: "lockdep", lockdepType: "rcu-usage",
    title: /(WARNING|INFO): suspicious RCU usage/,
    // the `file.c:NNN` line of the splat: without it the report lost its body
    report: re(String.raw`suspicious RCU usage(?:.*\n)+?.*?{{SRC}}`),
    fmt: (m, f) => `${m[1]}: suspicious RCU usage in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["rcu", "kmem", "slab"] },
  },
];

/** Pre-4.x `[ INFO: ... ]` lockdep formats: the `at:` function is taken as is. */
export const OLD_LOCKDEP_FORMATS: TitleFormat[] = [
  {
    kind: "lockdep", lockdepType: "circular",
    title: /INFO: possible circular locking dependency detected/,
    report: /is trying to acquire lock/,
    fmt: deadlock,
    stack: { parts: [AT_LINE], noSkip: true },
  },
  {
    kind: "lockdep", lockdepType: "recursive",
    title: /INFO: possible recursive locking detected/,
    fmt: deadlock,
    stack: { parts: [/is trying to acquire lock:/, AT_LINE], noSkip: true },
  },
  {
    kind: "lockdep", lockdepType: "irq-inversion",
    title: /INFO: possible irq lock inversion dependency detected/,
    fmt: deadlock,
    stack: { parts: [/just changed the state of lock:/, AT_LINE], noSkip: true },
  },
  {
    kind: "lockdep", lockdepType: "safe-unsafe",
    title: SAFE_UNSAFE("INFO"),
    fmt: deadlock,
    stack: { parts: [WHICH_BECAME, AT_LINE], noSkip: true },
  },
  {
    kind: "lockdep", lockdepType: "inconsistent",
    title: /INFO: inconsistent lock state/,
    fmt: (_m, f) => `inconsistent lock state in ${f}`,
    stack: { parts: [/takes/, AT_LINE], noSkip: true },
  },
  {
    kind: "lockdep", lockdepType: "non-static-key",
    title: /INFO: trying to register non-static key/,
    fmt: (_m, f) => `INFO: trying to register non-static key in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["stack", "lock", "IRQ"] },
  },
];
