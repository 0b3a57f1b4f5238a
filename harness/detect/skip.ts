/**
 * Frames that never name a bug: reporting machinery, locking primitives, allocators, string helpers,
 * generic workqueue/timer/device plumbing. A paraphrase of syzkaller's Linux skip list (unanchored
 * substring regexes unless `^`/`$` is given).
 */
const GLOBAL_SKIP = [
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
  // workqueue, timers, completion
  "flush_work", "__cancel_work_timer", "cancel_work_sync", "try_to_grab_pending", "flush_workqueue",
  "drain_workqueue", "destroy_workqueue", "queue_work", "insert_work", "__queue_delayed_work",
  "queue_delayed_work_on", "del_timer", "lock_timer_base", "__timer_delete_sync", "sk_stop_timer_sync",
  "__mod_timer", "finish_wait", "kthread_stop", "^complete$", "wait_for_completion", "__wake_up",
  // allocation and page cache
  "alloc_page", "k?v?(?:m|z|c)alloc", "krealloc", "kmem_cache", "allocate_slab", "slab_",
  "folio_(?:alloc|unlock)", "filemap_alloc_folio", "__filemap_get_folio", "find_or_create_page",
  "do_read_cache_folio", "read_cache_page", "pagecache_get_page", "grab_cache_page_write_begin",
  "^kv?free$", "^kfree_skb", "__phys_addr", "xas_(?:start|load|find)", "find_lock_entries",
  "truncate_inode_pages_range", "__might_fault", "__might_resched", "alloc_frozen_pages", "mempool_alloc",
  "ida_free", "cleanup_srcu_struct", "rhashtable_lookup", "extract_(?:user|iter)_to_sg", "^klist_",
  // string, atomic, list, user copy helpers
  "mem(?:cpy|cmp|set|chr|move|dup)", "str(?:cmp|ncmp|cpy|lcpy|ncpy|scpy|len|nlen|str|nstr|chr|dup|ndup)",
  "copy_to_user", "copy_from_user", "copy_(?:page_|folio_)?(?:to|from)_iter", "^copy_user_",
  "put_user", "get_user", "might_fault", "might_sleep",
  "atomic(?:64)?_(?:dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)", "(?:set|clear|change|test)_bit",
  "^refcount_", "^kref_", "ref_tracker", "list_(?:add|del|replace|move|splice)", "^rb_", "^__rb_",
  "_indirect_thunk_", "string", "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk",
  "va_format", "dev_(?:info|notice|warn|err|alert|crit|emerg)", "^crc\\d+", "^crc_", "^(?:read|write)[bwlq]$",
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

function compile(list: string[]): RegExp {
  return new RegExp(list.map((p) => `(?:${p})`).join("|"));
}

/**
 * A skip test on function names. Not memoized: irregexp tests a name against the whole list faster
 * than a Map looks up a name it has not hashed yet (most names of a log of distinct reports).
 */
export interface SkipTest {
  test(frame: string): boolean;
}

export const globalSkipRe: SkipTest = compile(GLOBAL_SKIP);
const compiled = new Map<string, SkipTest>();

export function skipRe(extra: string[] | undefined): SkipTest {
  if (!extra || extra.length === 0) return globalSkipRe;
  const key = extra.join("\u0000");
  let t = compiled.get(key);
  if (!t) {
    t = compile([...GLOBAL_SKIP, ...extra]);
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
