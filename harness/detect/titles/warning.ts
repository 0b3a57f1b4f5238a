/** `WARNING:` titles: special classes first (ODEBUG, refcount, usercopy…), then the generic `WARNING in F`. */
import { CALL_TRACE, IP_LINE, STACK, re, type StackSpec, type TitleFormat } from "./format.ts";

const generic = (_m: RegExpExecArray, f: string) => `WARNING in ${f}`;

/**
 * Where a trapping WARN's stack starts: the `RIP:`/`pc :` line (IP_LINE), or on powerpc64 the
 * `--- interrupt: 700 at func+0x1/0x2` line (notes §5, WARNING: "or `--- interrupt: N at F` on ppc").
 */
const WARN_TRAP_LINE = new RegExp(`${IP_LINE.source}|${re(String.raw`--- interrupt: [0-9]+ at {{FUNC}}`).source}`);

/**
 * syzkaller's warningStackFmt: the frame of the trap line (WARN_TRAP_LINE) and the stack that follows
 * it (a trapping WARN), else the first `Call Trace:` (older kernels print the stack only); plus the
 * format's extra skips.
 */
function warningStack(...skip: string[]): StackSpec {
  const parts = [WARN_TRAP_LINE, STACK];
  return skip.length ? { parts, parts2: [CALL_TRACE, STACK], skip } : { parts, parts2: [CALL_TRACE, STACK] };
}
const GENERIC_STACK = warningStack();

export const WARNING_FORMATS: TitleFormat[] = [
  {
    kind: "warning",
    title: /WARNING: .*lib\/debugobjects\.c/,
    fmt: (_m, f) => `WARNING: ODEBUG bug in ${f}`,
    stack: warningStack("debug_", "rcu", "hrtimer_", "timer_", "work_", "percpu_", "kmem_", "slab_", "kfree", "vunmap",
      "vfree", "__free_", "free_pages", "free_object", "put_", "^destroy_"),
  },
  {
    kind: "warning",
    title: /WARNING: .*mm\/usercopy\.c/,
    fmt: (_m, f) => `WARNING: bad usercopy in ${f}`,
    stack: warningStack("usercopy", "__check"),
  },
  {
    kind: "warning",
    title: /WARNING: .*lib\/kobject\.c/,
    fmt: (_m, f) => `WARNING: kobject bug in ${f}`,
    stack: warningStack("kobject_"),
  },
  {
    kind: "warning",
    title: /WARNING: .*fs\/proc\/generic\.c/,
    fmt: (_m, f) => `WARNING: proc registration bug in ${f}`,
    stack: warningStack("proc_"),
  },
  {
    kind: "warning",
    title: /WARNING: .*lib\/refcount\.c/,
    fmt: (_m, f) => `WARNING: refcount bug in ${f}`,
    stack: warningStack("refcount"),
  },
  {
    kind: "warning",
    title: /WARNING: .*mm\/.*\.c.* k?.?malloc/,
    fmt: (_m, f) => `WARNING: kmalloc bug in ${f}`,
    stack: warningStack("kmalloc", "krealloc", "slab", "kmem"),
  },
  {
    kind: "warning",
    title: /WARNING: .*mm\/vmalloc\.c.*__vmalloc_node/,
    fmt: (_m, f) => `WARNING: zero-size vmalloc in ${f}`,
    stack: warningStack("vmalloc"),
  },
  {
    kind: "warning",
    title: /WARNING: .* usb_submit_urb/,
    fmt: (_m, f) => `WARNING in ${f}/usb_submit_urb`,
    stack: warningStack(),
  },
  { kind: "warning", title: re(String.raw`WARNING: {{SRC}} at 0x[0-9a-f]+, CPU#[0-9]+`), fmt: generic, stack: GENERIC_STACK },
  { kind: "warning", title: re(String.raw`WARNING: {{SRC}} at {{FUNC}}`), fmt: generic, stack: GENERIC_STACK },
  { kind: "warning", title: re(String.raw`WARNING: .* at {{SRC}} {{FUNC}}`), fmt: generic, stack: GENERIC_STACK },
  { kind: "warning", title: re(String.raw`WARNING: \[.*\] {{SRC}} at {{FUNC}}`), fmt: generic, stack: GENERIC_STACK },
  {
    kind: "warning",
    title: /WARNING: kernel stack (frame pointer|regs) at .* has bad (?:'[^'\n]*' )?value/,
    fmt: (m) => `WARNING: kernel stack ${m[1]} has bad value`,
    noStackTrace: true,
  },
];
