/**
 * Format rows and rules of syzkaller's parser that the corpus has few or no files for (issue 14):
 * each test is a console excerpt in the kernel's own format and the title syzkaller's rule gives.
 */
import { describe, expect, it } from "vitest";
import { parseReports } from "../../../harness/detect/index.ts";
import { demangle } from "../../../harness/detect/frames.ts";
import { stripFramePrefixes } from "../../../harness/detect/skip.ts";

const log = (...lines: string[]) => lines.map((l, i) => `[  100.${String(i).padStart(6, "0")}][ T4242] ${l}`).join("\n") + "\n";
const title = (text: string) => parseReports(text)[0]?.title ?? "";

const CALLER = [
  "CPU: 0 UID: 0 PID: 4242 Comm: syz.0.1 Not tainted 6.15.0 #1",
  "Call Trace:",
  " <TASK>",
  " dump_stack_lvl+0x1/0x2",
];
const SYSCALL_TAIL = [" __x64_sys_ioctl+0x1/0x2", " do_syscall_64+0x1/0x2", " entry_SYSCALL_64_after_hwframe+0x1/0x2", " </TASK>"];

describe("format rows without many corpus examples", () => {
  it("KFENCE: the first frame after the allocator helpers, no Call Trace line needed", () => {
    const t = log(
      "==================================================================",
      "BUG: KFENCE: use-after-free read in kfree+0x60/0xd0",
      "",
      "Use-after-free read at 0xffff88823bdb0018 (in kfence-#215):",
      " kfree+0x60/0xd0",
      " bpf_map_free+0x3b2a/0xd090",
      " bpf_map_put+0x900a/0xcbe0",
      "",
    );
    const [r] = parseReports(t);
    expect(r!.title).toBe("KFENCE: use-after-free read in bpf_map_free");
    expect(r!.corrupted).toBe(false);
  });

  it("stack guard page, int3, bad stack regs, nested lock", () => {
    expect(title(log("BUG: stack guard page was hit at ffffc9000cf1ff78 (stack is ffffc9000cf20000..ffffc9000cf27fff)",
      "Oops: stack guard page: 0000 [#1] PREEMPT SMP KASAN", ...CALLER.slice(0, 1), "RIP: 0010:mark_lock+0x25/0x2d0",
      "Call Trace:", " <TASK>", " __lock_acquire+0x1/0x2", " ext4_es_insert_extent+0x1/0x2", ...SYSCALL_TAIL)))
      .toBe("BUG: stack guard page was hit in ext4_es_insert_extent");
    expect(title(log("int3: 0000 [#1] PREEMPT SMP KASAN", ...CALLER.slice(0, 1), "RIP: 0010:bpf_prog_test_run+0x1/0x2",
      "Call Trace:", " <TASK>", " __sys_bpf+0x1/0x2", ...SYSCALL_TAIL))).toBe("int3 in bpf_prog_test_run");
    expect(title(log("WARNING: kernel stack regs at ffffc90004cd7828 in syz.0.1:4242 has bad 'bp' value 0000000000000001")))
      .toBe("WARNING: kernel stack regs has bad value");
    expect(title(log("==================================", "WARNING: Nested lock was not taken", "6.15.0 #1 Not tainted",
      "----------------------------------", "syz.0.1/4242 is trying to lock:", "ffff8880 (&sb->s_type->i_lock_key#36){+.+.}-{2:2}, at: _atomic_dec_and_lock+0x9d/0x110",
      "", "but this task is not holding:", "", "stack backtrace:", ...CALLER, " lock_acquire+0x1/0x2", " iput+0x85/0x760",
      " ntfs_fill_super+0x3af3/0x42a0", ...SYSCALL_TAIL))).toBe("WARNING: nested lock was not taken in ntfs_fill_super");
  });

  it("a fault-injection frame in the stack makes the frame `corrupted`", () => {
    const [r] = parseReports(log("INFO: task syz.0.1:4242 blocked for more than 143 seconds.", "      Not tainted 6.15.0 #1",
      "task:syz.0.1 state:D stack:0 pid:4242 ppid:1 flags:0x00004006", "Call Trace:", " <TASK>", " __schedule+0x1/0x2",
      " should_fail_ex+0x1/0x2", " should_failslab+0x9/0x14", " __kmalloc+0x71/0x740", " tty_buffer_request_room+0x1/0x2", ...SYSCALL_TAIL));
    expect(r!.title).toBe("INFO: task hung in corrupted");
    expect(r!.corrupted).toBe(true);
  });

  it("a header line printed again after `** replaying previous printk message **` starts no report there", () => {
    const text = [
      "[  100.000001][ T4242] WARNING: CPU: 0 PID: 4242 at fs/ext4/inode.c:12 ext4_do_wri",
      "** replaying previous printk message **",
      ...log("WARNING: CPU: 0 PID: 4242 at fs/ext4/inode.c:12 ext4_do_writepages+0x1/0x2", "Modules linked in:", ...CALLER.slice(0, 1),
        "RIP: 0010:ext4_do_writepages+0x1/0x2", "Call Trace:", " <TASK>", " ext4_writepages+0x1/0x2", ...SYSCALL_TAIL).trimEnd().split("\n"),
      "",
    ].join("\n");
    const reports = parseReports(text);
    expect(reports.map((r) => r.title)).toEqual(["WARNING in ext4_do_writepages"]);
    expect(reports[0]!.startLine).toBe(3);
  });
});

describe("rules of the notes that no corpus file exercised (each test fails without its rule)", () => {
  const TRACE = ["Modules linked in:", ...CALLER.slice(0, 1), "Hardware name: QEMU Standard PC", "Call Trace:", " <TASK>", " dump_stack_lvl+0x1/0x2"];

  it("KCSAN naming both racing functions keeps both", () => {
    expect(title(log("==================================================================", "BUG: KCSAN: data-race in generic_fillattr / shmem_mknod", "",
      "write to 0xffff888100000000 of 8 bytes by task 4242 on cpu 0:", " shmem_mknod+0x1/0x2", " vfs_mknod+0x1/0x2", "",
      "read to 0xffff888100000000 of 8 bytes by task 4243 on cpu 1:", " generic_fillattr+0x1/0x2", " vfs_getattr+0x1/0x2", "",
      "value changed: 0x00000001 -> 0x00000002", "==================================================================")))
      .toBe("KCSAN: data-race in generic_fillattr / shmem_mknod");
  });

  it("bad page state: the page's allocation stack (page_owner), allocator frames skipped", () => {
    const t = log("BUG: Bad page state in process syz.0.1  pfn:1a2b3", "page: refcount:0 mapcount:1 mapping:0000000000000000 index:0x0 pfn:0x1a2b3",
      "page dumped because: nonzero mapcount", "page_owner tracks the page as allocated",
      "page last allocated via order 0, migratetype Movable, gfp_mask 0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), pid 4242, tgid 4242 (syz.0.1)",
      " post_alloc_hook+0x1/0x2", " get_page_from_freelist+0x1/0x2", " __alloc_pages_noprof+0x1/0x2", " vma_alloc_folio_noprof+0x1/0x2",
      " do_anonymous_page mm/memory.c:4700 [inline]", " do_pte_missing+0x1/0x2", " __handle_mm_fault+0x1/0x2",
      "page last free pid 1 tgid 1 stack trace:", " free_unref_page+0x1/0x2", ...TRACE, " bad_page+0x1/0x2", " free_unref_folios+0x1/0x2",
      " release_pages+0x1/0x2", " exit_mmap+0x1/0x2", ...SYSCALL_TAIL);
    expect(title(t)).toBe("BUG: Bad page state in do_pte_missing");
    // without page_owner there is no allocation stack: syzkaller calls the frame corrupted
    const [r] = parseReports(t.split("\n").filter((l) => !/page last|post_alloc|freelist|alloc_pages|alloc_folio|do_pte|handle_mm|free_unref_page\+/.test(l)).join("\n"));
    expect(r!.title).toBe("BUG: Bad page state in corrupted");
    expect(r!.corrupted).toBe(true);
  });

  it("held-lock reports name the caller of lockdep's check, not the check", () => {
    expect(title(log("====================================", "WARNING: syz.0.1/4242 still has locks held!", "6.15.0 #1 Not tainted",
      "------------------------------------", "1 lock held by syz.0.1/4242:",
      " #0: ffff888100000000 (&sb->s_type->i_mutex_key#14){+.+.}-{4:4}, at: fuse_lock_inode+0x1/0x2", "", "stack backtrace:", ...TRACE.slice(1),
      " debug_check_no_locks_held+0x1/0x2", " ptrace_stop+0x1/0x2", " get_signal+0x1/0x2", ...SYSCALL_TAIL)))
      .toBe("WARNING: still has locks held in ptrace_stop");
  });

  it("unregister_netdevice waiting: its own report, the device named DEV; inside a report it is part of it", () => {
    expect(parseReports("[  361.300009] unregister_netdevice: waiting for lo to become free. Usage count = 6\n").map((r) => r.title))
      .toEqual(["unregister_netdevice: waiting for DEV to become free"]);
    const hung = log("INFO: task syz.0.1:4242 blocked for more than 143 seconds.", "      Not tainted 6.15.0 #1",
      "task:syz.0.1 state:D stack:0 pid:4242 ppid:1 flags:0x00004006", "Call Trace:", " <TASK>", " __schedule+0x1/0x2", " schedule+0x1/0x2",
      "unregister_netdevice: waiting for lo to become free. Usage count = 6", " rwsem_down_write_slowpath+0x1/0x2", " copy_net_ns+0x1/0x2", ...SYSCALL_TAIL);
    expect(parseReports(hung).map((r) => r.title)).toEqual(["INFO: task hung in copy_net_ns"]);
  });

  it("a reboot in the middle of the log; the decompressor's words echoed in a message are none", () => {
    expect(parseReports("[  100.000000] foo\nDecompressing Linux... Parsing ELF... done.\nBooting the kernel.\n[    0.000000] Linux version 6.15.0\n")
      .map((r) => r.title)).toEqual(["unexpected kernel reboot"]);
    expect(parseReports(log("fuseblk: Unknown parameter 'Decompressing Linux... Parsing ELF... done. Booting the kernel.'"))).toEqual([]);
  });

  it("the decompressor's line of the log's own first boot (earlyprintk) is no reboot: no kernel had printed yet", () => {
    const boot = "SeaBIOS (version 1.16.2)\nBooting from ROM...\nearly console in setup code\nDecompressing Linux... Parsing ELF... done.\nBooting the kernel (entry_offset: 0x0000000000000000).\n";
    expect(parseReports(boot + "[    0.000000] Linux version 6.12.117-hangar\n[    1.000000] Run /sbin/init as init process\n")).toEqual([]);
    // The same console after a reboot: the kernel had printed, then started again.
    expect(parseReports(boot + "[    0.000000] Linux version 6.12.117-hangar\n" + boot).map((r) => r.title)).toEqual(["unexpected kernel reboot"]);
  });

  it("SYZFAIL, panic: and fatal error: lines, with the lines syzkaller ignores", () => {
    expect(title("SYZFAIL: failed to recv rpc\n\tfd=3 want=4 recv=0 n=0 (errno 9: Bad file descriptor)\n")).toBe("SYZFAIL: failed to recv rpc");
    expect(title(log("panic: runtime error: invalid memory address or nil pointer dereference"))).toBe("panic: runtime error: invalid memory address or nil pointer dereference");
    expect(title(log("fatal error: runtime: out of memory"))).toBe("fatal error: runtime: out of memory");
    expect(parseReports(log("skb_panic: text:ffffffff81000000 len:1 put:2 head:ffff888100000000 data:ffff888100000000 tail:0x1 end:0x2 dev:<NULL>"))).toEqual([]);
    expect(parseReports(log("ALSA: fatal error: cannot open device"))).toEqual([]);
  });

  it("arm Unhandled fault: the `PC is at` frame; the `Internal error:` after it is the same report", () => {
    const t = ["8<--- cut here ---", "Unhandled fault: page domain fault (0x01b) at 0x00000000", "[00000000] *pgd=80000080004003, *pmd=00000000",
      "Internal error: : 1b [#1] SMP ARM", "Modules linked in:", "CPU: 1 PID: 4000 Comm: syz-executor.0 Not tainted 6.2.0 #0",
      "Hardware name: ARM-Versatile Express", "PC is at __fdget_pos+0x10/0x5c", "LR is at ksys_write+0x1c/0x50", "Backtrace: ",
      "[<8050f3a0>] (__fdget_pos) from [<804e2b4c>] (ksys_write+0x1c/0x50)", "[<804e2b30>] (ksys_write) from [<804e2bb0>] (sys_write+0x10/0x14)",
      "[<804e2ba0>] (sys_write) from [<80200060>] (ret_fast_syscall+0x0/0x1c)"].map((l, i) => `[   27.${String(i).padStart(6, "0")}] ${l}`).join("\n") + "\n";
    expect(parseReports(t).map((r) => r.title)).toEqual(["Unhandled fault in __fdget_pos"]);
  });

  it("after 22 lines, the panic the report caused ends the text its title is searched in", () => {
    const frames = Array.from({ length: 24 }, (_v, i) => ` foo_helper_${i}+0x1/0x2`);
    const t = log("WARNING: CPU: 0 PID: 4242 at drivers/foo/foo.c:12 foo_check+0x1/0x2", "Modules linked in:", ...CALLER.slice(0, 1),
      "Call Trace:", " foo_check+0x1/0x2", ...frames, "Kernel panic - not syncing: panic_on_warn set ...", "RIP: 0010:unrelated_fn+0x1/0x2");
    expect(title(t)).toBe("WARNING in foo_check");
  });
});

describe("frame names", () => {
  it("C++ names are demangled without parameters", () => {
    expect(demangle("_Z8fakeNameiii")).toBe("fakeName");
    expect(demangle("_ZN2ns3fooEv")).toBe("ns::foo");
    expect(demangle("_Zbogus")).toBe("_Zbogus");
    expect(demangle("plain_name")).toBe("plain_name");
  });

  it("the syscall prefix that leaves the shortest name is stripped", () => {
    expect(stripFramePrefixes("__x64_sys_futex")).toBe("sys_futex");
    expect(stripFramePrefixes("__do_sys_rmdir")).toBe("rmdir");
    expect(stripFramePrefixes("__se_sys_mount")).toBe("mount");
    expect(stripFramePrefixes("ksys_ioctl")).toBe("ioctl");
    expect(stripFramePrefixes("do_sys_open")).toBe("do_sys_open");
  });
});
