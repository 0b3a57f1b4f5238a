/**
 * Frames that never name a bug: reporting machinery, locking primitives, allocators, string helpers,
 * generic workqueue/timer/device plumbing. A paraphrase of syzkaller's Linux skip list (unanchored
 * substring regexes unless `^`/`$` is given).
 */
export const GLOBAL_SKIP: readonly string[] = [
  // sanitizers and reporting
  "__sanitizer", "__asan", "kasan", "hwasan", "__msan", "kmsan", "kcsan_setup_watchpoint",
  "check_memory_region", "check_heap_object", "check_object", "read_word_at_a_time",
  "print_address_description", "panic", "invalid_op", "report_bug", "fixup_bug", "print_report",
  "print_usage_bug", "do_error", "_trap$", "do_trap", "show_stack", "dump_stack", "walk_stack",
  "dump_backtrace", "warn_slowpath", "warn_alloc", "warn_bogus", "__warn", "print_tainted",
  "__fortify_report", "debug_object", "timer_is_static_object", "work_is_static_object",
  // arm: the return address of the noreturn panic() call lands in get_taint, the function after it
  "^get_taint$",
  // locking
  "lockdep", "lock_acquire", "lock_release", "lock_class", "mark_lock", "(?:reacquire|mark)_held_locks",
  "raw_spin_rq", "spin_lock", "spin_trylock", "spin_unlock", "read_lock", "read_trylock", "write_lock",
  "write_trylock", "read_unlock", "write_unlock", "^down$", "down_read", "down_write", "down_trylock",
  "up_read", "up_write", "^mutex_", "^__mutex_", "^rt_mutex_", "owner_on_cpu", "osq_lock", "osq_unlock",
  "bh_enable", "bh_disable", "print_unlock", "imbalance_bug", "(?:trace|lockdep)_(?:hard|soft)irq",
  "^(?:un)?lock_page", "perf_trace",
  // lockdep's checks that a task holds no locks or frees none it holds (kernel/locking/lockdep.c): the
  // caller is the one that holds them
  "debug_check_no_locks",
  // workqueue, timers, completion
  "flush_work", "__cancel_work_timer", "cancel_work_sync", "try_to_grab_pending", "flush_workqueue",
  "drain_workqueue", "destroy_workqueue", "queue_work", "insert_work", "__queue_delayed_work",
  "queue_delayed_work_on", "del_timer", "lock_timer_base", "__timer_delete_sync", "sk_stop_timer_sync",
  "__mod_timer", "finish_wait", "kthread_stop", "^complete$", "wait_for_completion", "__wake_up",
  // allocation and page cache
  "alloc_page", "k?v?(?:m|z|c)alloc", "krealloc", "kmem_cache", "allocate_slab", "slab_",
  "folio_(?:alloc|unlock)", "filemap_alloc_folio", "__filemap_get_folio", "find_or_create_page",
  "do_read_cache_folio", "read_cache_page", "pagecache_get_page", "grab_cache_page_write_begin",
  "^kv?free$", "kfree_skb", "__phys_addr", "xas_(?:start|load|find)", "find_lock_entries",
  "truncate_inode_pages_range", "__might_fault", "__might_resched", "alloc_frozen_pages", "mempool_alloc",
  "ida_free", "cleanup_srcu_struct", "rhashtable_lookup", "extract_(?:user|iter)_to_sg", "^klist_",
  // string, atomic, list, user copy helpers
  "mem(?:cpy|cmp|set|chr|move|dup)", "str(?:cmp|ncmp|cpy|lcpy|ncpy|scpy|len|nlen|str|nstr|chr|dup|ndup)",
  "copy_to_user", "copy_from_user", "copy_(?:page_|folio_)?(?:to|from)_iter", "^copy_user_",
  "put_user", "get_user", "might_fault", "might_sleep",
  "atomic(?:64)?_(?:dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)", "(?:set|clear|change|test)_bit",
  "^refcount_", "^kref_", "ref_tracker", "list_(?:add|del|replace|move|splice)", "^rb_", "^__rb_",
  "_indirect_thunk_", "string", "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk",
  "va_format", "dev_(?:info|notice|warn|err|alert|crit|emerg)", "^crc[0-9]" /* = ^crc\d+ */, "^crc_", "^(?:read|write)[bwlq]$",
  "program_check_exception", "program_check_common", "seqprop_assert", "hex_dump_to_buffer", "print_hex_dump",
  "(?:read|write)_once_.*nocheck", "logic_in", "logic_out", "crc_itu_t", "assertfail",
  // device and kobject teardown
  "kobject_", "add_uevent_var", "get_device_parent", "device_(?:add|del|unregister|destroy|release)",
  "devres_release_all", "hwrng_unregister", "i2c_del_adapter", "__unregister_client", "device_for_each_child",
  "rollback_registered", "unregister_netdev", "sysfs_remove", "__usb_create_hcd", "usb_add_hcd",
  "usb_hcd_submit_urb", "usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg",
  "usb_control_msg", "usb_kill_urb", "usb_kill_anchored_urbs", "dummy_urb_enqueue", "^usb_alloc_coherent",
  "^usb_free_coherent", "^put_device$", "device_remove_file", "tty_unregister_device",
  // inode and dentry references
  "^iput$", "^iput_final$", "^ihold$", "dput", "fast_dput", "drop_nlink",
  // arm64 fault path
  "do_(?:kernel|translation)_fault", "do_mem_abort", "el1_abort", "el1h_64_sync(?:_handler)?",
];

/** A word of a skip pattern: the literal, and whether it must start / end the name (`^`, `$`). */
interface Atom {
  lit: string;
  start: boolean;
  end: boolean;
}

/** Expansions are capped: a pattern with more is matched by a regex instead. */
const MAX_EXPANSIONS = 256;

/**
 * The finite set of words a skip pattern matches, or undefined when it is not finite or uses syntax
 * this does not read. Read: name characters, `(?:a|b)`, a class of name characters `[bwlq]`, `[0-9]`, `?`
 * after any of them, `^` first and `$` last. `k?v?(?:m|z|c)alloc` gives malloc, zalloc, …, kvcalloc.
 */
export function expandPattern(p: string): Atom[] | undefined {
  let s = p;
  const start = s.startsWith("^");
  if (start) s = s.slice(1);
  const end = s.endsWith("$") && !s.endsWith("\\$");
  if (end) s = s.slice(0, -1);
  let i = 0;
  const word = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
  function alts(): string[] | undefined {
    const out: string[] = [];
    for (;;) {
      const q = seq();
      if (!q) return undefined;
      out.push(...q);
      if (s[i] !== "|") return out;
      i++;
    }
  }
  function seq(): string[] | undefined {
    let acc = [""];
    while (i < s.length && s[i] !== "|" && s[i] !== ")") {
      let item: string[] | undefined;
      if (word(s[i])) item = [s[i++]!];
      else if (s.startsWith("(?:", i)) {
        i += 3;
        item = alts();
        if (!item || s[i] !== ")") return undefined;
        i++;
      } else if (s[i] === "[") {
        const close = s.indexOf("]", i);
        const chars = close < 0 ? [] : [...s.slice(i + 1, close).replace(/(\w)-(\w)/g, (_r, a: string, b: string) => {
          let out = "";
          for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) out += String.fromCharCode(c);
          return out;
        })];
        if (chars.length === 0 || !chars.every(word)) return undefined;
        item = chars;
        i = close + 1;
      } else return undefined;
      if (s[i] === "?") {
        item = [...item, ""];
        i++;
      }
      if (s[i] === "*" || s[i] === "+" || s[i] === "{") return undefined;
      const next: string[] = [];
      for (const a of acc) for (const b of item) next.push(a + b);
      if (next.length > MAX_EXPANSIONS) return undefined;
      acc = next;
    }
    return acc;
  }
  const words = alts();
  if (!words || i !== s.length || words.some((w) => w === "")) return undefined;
  return [...new Set(words)].map((lit) => ({ lit, start, end }));
}

/** Characters of function names, one symbol each; anything else is symbol 63 (in no pattern). */
const SYMBOLS = 64;
const SYMBOL = new Uint8Array(128).fill(63);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[0-9]/.test(ch)) SYMBOL[c] = c - 48;
  else if (/[A-Z]/.test(ch)) SYMBOL[c] = c - 65 + 10;
  else if (/[a-z]/.test(ch)) SYMBOL[c] = c - 97 + 36;
  else if (ch === "_") SYMBOL[c] = 62;
}

/**
 * A set of skip patterns as one Aho-Corasick automaton over their words (expandPattern): one pass over
 * a name finds whether any word occurs in it where its anchors allow. The patterns it cannot expand
 * are tested as one regex after it. The same answers as the patterns joined with `|` as a regex (the
 * skip tests check this on every frame of the fixtures), without trying ~250 alternatives at every
 * position of the name.
 */
class SkipMatcher implements SkipTest {
  /** next state by state * SYMBOLS + symbol (a complete DFA) */
  private readonly delta: Uint16Array;
  /** per state: 1 if some word that needs no anchor ends here, 2 if only anchored ones do, 0 if none */
  private readonly hit: Uint8Array;
  /** per state: the anchored words ending here, as [length, start, end] triples */
  private readonly anchored: (number[] | undefined)[];
  private readonly rest: RegExp | undefined;

  constructor(patterns: readonly string[]) {
    const atoms: Atom[] = [];
    const other: string[] = [];
    for (const p of patterns) {
      const a = expandPattern(p);
      if (a) atoms.push(...a);
      else other.push(p);
    }
    this.rest = other.length ? new RegExp(other.map((p) => `(?:${p})`).join("|")) : undefined;
    // the trie
    const next: Map<number, number>[] = [new Map()];
    const own: Atom[][] = [[]];
    for (const a of atoms) {
      let st = 0;
      for (let k = 0; k < a.lit.length; k++) {
        const sym = SYMBOL[a.lit.charCodeAt(k)]!;
        let t = next[st]!.get(sym);
        if (t === undefined) {
          t = next.length;
          next.push(new Map());
          own.push([]);
          next[st]!.set(sym, t);
        }
        st = t;
      }
      own[st]!.push(a);
    }
    const n = next.length;
    if (n > 0xffff) throw new Error("skip patterns: too many states");
    const delta = new Uint16Array(n * SYMBOLS);
    const fail = new Int32Array(n);
    const hit = new Uint8Array(n);
    const anchored: (number[] | undefined)[] = new Array(n);
    // breadth first: a state's failure link is shorter, so its outputs are complete when it is reached
    const queue = [0];
    for (let qi = 0; qi < queue.length; qi++) {
      const st = queue[qi]!;
      const f = fail[st]!;
      let unanchored = st !== 0 && hit[f] === 1;
      let list = st !== 0 && anchored[f] ? anchored[f]!.slice() : undefined;
      for (const a of own[st]!) {
        if (!a.start && !a.end) unanchored = true;
        else (list ??= []).push(a.lit.length, a.start ? 1 : 0, a.end ? 1 : 0);
      }
      hit[st] = unanchored ? 1 : list ? 2 : 0;
      anchored[st] = list;
      for (let sym = 0; sym < SYMBOLS; sym++) {
        const t = next[st]!.get(sym);
        if (t !== undefined) {
          fail[t] = st === 0 ? 0 : delta[f * SYMBOLS + sym]!;
          delta[st * SYMBOLS + sym] = t;
          queue.push(t);
        } else delta[st * SYMBOLS + sym] = st === 0 ? 0 : delta[f * SYMBOLS + sym]!;
      }
    }
    this.delta = delta;
    this.hit = hit;
    this.anchored = anchored;
  }

  test(name: string): boolean {
    const { delta, hit } = this;
    const last = name.length - 1;
    let st = 0;
    for (let j = 0; j <= last; j++) {
      const c = name.charCodeAt(j);
      st = delta[st * SYMBOLS + (c < 128 ? SYMBOL[c]! : 63)]!;
      const h = hit[st]!;
      if (h === 0) continue;
      if (h === 1) return true;
      const a = this.anchored[st]!;
      for (let k = 0; k < a.length; k += 3) {
        if ((a[k + 1] === 0 || j + 1 === a[k]) && (a[k + 2] === 0 || j === last)) return true;
      }
    }
    return this.rest !== undefined && this.rest.test(name);
  }
}

/** A skip test on function names (the global list, or it and a format's extra patterns). */
export interface SkipTest {
  test(frame: string): boolean;
}

const globalSkip = new SkipMatcher(GLOBAL_SKIP);
const compiled = new Map<string, SkipTest>();

/** The skip test of the global list plus a format's `extra` patterns. */
export function skipRe(extra: string[] | undefined): SkipTest {
  if (!extra || extra.length === 0) return globalSkip;
  const key = extra.join("\u0000");
  let t = compiled.get(key);
  if (!t) {
    const own = new SkipMatcher(extra);
    t = { test: (f) => globalSkip.test(f) || own.test(f) };
    compiled.set(key, t);
  }
  return t;
}

const SYSCALL_PREFIXES = [
  "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_", "__se_",
  "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
];

/**
 * `__x64_sys_openat` → `sys_openat`, `__do_sys_rmdir` → `rmdir`, `__se_sys_foo` → `foo`: of the
 * prefixes the name starts with, the one that leaves the shortest name is stripped (once).
 */
export function stripFramePrefixes(frame: string): string {
  let best = frame;
  for (const p of SYSCALL_PREFIXES) {
    if (frame.length > p.length && frame.startsWith(p) && frame.length - p.length < best.length) best = frame.slice(p.length);
  }
  return best;
}
