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
