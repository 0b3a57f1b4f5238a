/** `BUG:` titles: KASAN/KCSAN/KMSAN, soft lockups, workqueue lockups, bad accesses, atomic-context bugs. */
import { CALL_TRACE, IP_LINE, STACK, re, type TitleFormat } from "./format.ts";
import { stallFrame } from "./stall.ts";

const KASAN_SKIP = ["stack_trace_consume_entry", "arch_stack_walk", "stack_trace_save", "kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"];

export const BUG_FORMATS: TitleFormat[] = [
  {
    kind: "kasan",
    title: re(String.raw`BUG: KASAN: ([a-z\-]+) in {{FUNC}}(?:.*\n){0,8}?.*(Read|Write) (?:of size|at addr) [0-9a-f]+`),
    fmt: (m, f) => `KASAN: ${m[1]} ${m[3]} in ${f}`,
    stack: { parts: [re(String.raw`BUG: KASAN: (?:[a-z\-]+) in {{FUNC}}`), CALL_TRACE, STACK], skip: KASAN_SKIP },
  },
  {
    kind: "kasan",
    title: re(String.raw`BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}`),
    fmt: (_m, f) => `KASAN: invalid-free in ${f}`,
    stack: { parts: [re(String.raw`BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}`), CALL_TRACE, STACK], skip: ["kmem_", "slab_", "kfree", "vunmap", "vfree"] },
  },
  {
    kind: "kasan",
    title: /BUG: KASAN: (.*)/,
    fmt: (m) => `KASAN: ${m[1]}`,
    corrupted: "KASAN report without access type",
    noStackTrace: true,
  },
  {
    kind: "bug",
    // `BUG: KFENCE: use-after-free read in f+0x1/0x2`, `memory corruption in`, `invalid free in`, …
    title: re(String.raw`BUG: KFENCE: ([a-z\- ]+?) in {{FUNC}}`),
    fmt: (m, f) => `KFENCE: ${m[1]} in ${f}`,
    stack: { parts: [re(String.raw`BUG: KFENCE: [a-z\- ]+? in {{FUNC}}`), STACK] },
    // the stack follows the header without a `Call Trace:` line
    noStackTrace: true,
  },
  {
    kind: "bug",
    title: re(String.raw`BUG: KCSAN: ([a-z\-]+) in {{FUNC}}`),
    fmt: (m) => `KCSAN: ${m[1]} in ${m[2]}`,
    noStackTrace: true,
  },
  {
    kind: "bug",
    // `BUG: KCSAN: data-race in f / g` (both racing functions), `BUG: KCSAN: assert: race in f`: the line as is
    title: /BUG: KCSAN: (.*)/,
    fmt: (m) => `KCSAN: ${m[1]}`,
    noStackTrace: true,
  },
  {
    kind: "bug",
    title: re(String.raw`BUG: KMSAN: ([a-z\-]+) in {{FUNC}}`),
    fmt: (m, f) => `KMSAN: ${m[1]} in ${f}`,
    stack: { parts: [/BUG: KMSAN: /, STACK], parts2: [CALL_TRACE, STACK], skip: ["kmsan"] },
  },
  {
    kind: "soft-lockup",
    title: /BUG: soft lockup/,
    fmt: (_m, f) => `BUG: soft lockup in ${f}`,
    stack: { parts: [IP_LINE, CALL_TRACE, STACK], extractor: stallFrame },
  },
  {
    kind: "workqueue-lockup",
    title: /BUG: workqueue lockup/,
    fmt: () => "BUG: workqueue lockup",
    noStackTrace: true,
  },
  {
    kind: "bug",
    title: /BUG: workqueue leaked lock or atomic/,
    fmt: (_m, f) => `BUG: workqueue leaked lock or atomic in ${f}`,
    stack: { parts: [re(String.raw`last function: {{FUNC}}`)], noSkip: true },
    noStackTrace: true,
  },
  {
    kind: "bug",
    title: /BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP)/,
    fmt: (m, f) => `BUG: ${m[1]} ${m[2]} in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["spin_", "_lock", "_unlock"] },
  },
  {
    kind: "bug",
    title: /BUG: (?:unable to handle kernel (NULL pointer dereference|paging request)|kernel (NULL pointer dereference)|unable to handle page fault)/,
    fmt: (m, f) => `BUG: unable to handle kernel ${m[1] ?? m[2] ?? "paging request"} in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK] },
  },
  {
    kind: "bug",
    title: /BUG: unable to handle kernel$/m,
    fmt: () => "BUG: unable to handle kernel",
    corrupted: "truncated bad-access report",
    noStackTrace: true,
  },
  {
    kind: "bug",
    title: /BUG: sleeping function called from invalid context/,
    fmt: (_m, f) => `BUG: sleeping function called from invalid context in ${f}`,
    stack: { parts: [CALL_TRACE, STACK] },
  },
  {
    kind: "bug",
    title: /BUG: scheduling while atomic/,
    fmt: (_m, f) => `BUG: scheduling while atomic in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["schedule"] },
  },
  {
    kind: "bug",
    title: /BUG: using ([a-z_]+)\(\) in preemptible/,
    fmt: (m, f) => `BUG: using ${m[1]}() in preemptible code in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"] },
  },
  {
    kind: "bug",
    title: /BUG: Dentry .* still in use \([0-9]+\) \[(unmount) of ([a-zA-Z0-9_]+) ([a-zA-Z0-9_]+)\]/,
    fmt: (m) => `BUG: Dentry still in use in ${m[1]}`,
    noStackTrace: true,
  },
  {
    kind: "bug",
    title: /BUG: stack guard page was hit at/,
    fmt: (_m, f) => `BUG: stack guard page was hit in ${f}`,
    stack: { parts: [IP_LINE, STACK], parts2: [CALL_TRACE, STACK] },
  },
  {
    kind: "bug",
    title: /BUG: Bad page (state|map|cache)/,
    fmt: (m, f) => `BUG: Bad page ${m[1]} in ${f}`,
    // the code that allocated the page (page_owner's `page last allocated` stack), not the one that
    // found it bad while freeing it; without that stack (page_owner off, arm64) the frame is `corrupted`
    stack: {
      parts: [/page last allocated/, STACK],
      skip: ["(?:free|put|get|update|release)_page", "free_unref", "^_*folio", "truncate_inode_pages", "page_frag_free", "alloc",
        "vmap", "map"],
    },
  },
  {
    kind: "bug",
    title: /BUG: Bad rss-counter state/,
    fmt: () => "BUG: Bad rss-counter state",
    noStackTrace: true,
  },
  {
    kind: "bug",
    title: /BUG: memory leak/,
    fmt: (_m, f) => `memory leak in ${f}`,
    // the allocation stack: allocator internals are not the leaker
    stack: {
      parts: [/backtrace:/, STACK],
      skip: ["kmemleak", "mmap", "kmem", "slab", "alloc", "create_object", "idr_get", "list_lru_init", "kasprintf",
        "kvasprintf", "pcpu_create_chunk", "strdup", "strndup", "kstrdup", "kstrndup"],
    },
  },
];
