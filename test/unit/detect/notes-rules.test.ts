/**
 * Rules of ../shared/notes/syzkaller-title-rules.md that hangar did not follow before (audit of
 * issue 14's follow-up). Each input is a console excerpt written from the notes' description and the
 * kernel's print formats, not taken from test/fixtures/syzkaller-reports; each test fails without
 * its rule.
 */
import { describe, expect, it } from "vitest";
import { parseReports, createReportStream } from "../../../harness/detect/index.ts";
import { skipRe } from "../../../harness/detect/skip.ts";
import { sanitizeTitle } from "../../../harness/detect/normalize.ts";

const log = (...lines: string[]) => lines.map((l, i) => `[  100.${String(i).padStart(6, "0")}][ T4242] ${l}`).join("\n") + "\n";
const first = (text: string) => parseReports(text)[0];
const HEAD = ["Modules linked in:", "CPU: 0 UID: 0 PID: 4242 Comm: syz.0.1 Not tainted 6.15.0 #1", "Hardware name: QEMU Standard PC"];
const SYSCALL_TAIL = [" do_syscall_64+0x1/0x2", " entry_SYSCALL_64_after_hwframe+0x1/0x2", " </TASK>"];

describe("global skip list (notes §4)", () => {
  it("`kfree_skb` is an unanchored pattern: every skb-freeing helper is skipped", () => {
    const skip = skipRe(undefined);
    for (const f of ["kfree_skb", "kfree_skb_reason", "__kfree_skb", "dev_kfree_skb_any_reason"]) expect(skip.test(f), f).toBe(true);
    expect(skip.test("skb_release_data")).toBe(false);
    // a GPF inside the skb free path names the driver that freed the skb
    const t = log("Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN", ...HEAD,
      "RIP: 0010:__kfree_skb+0x1/0x2", "RSP: 0018:ffffc90000000000 EFLAGS: 00010202", "Call Trace:", " <TASK>",
      " __kfree_skb+0x1/0x2", " foo_netdev_xmit+0x1/0x2", " dev_hard_start_xmit+0x1/0x2", ...SYSCALL_TAIL);
    expect(first(t)!.title).toBe("general protection fault in foo_netdev_xmit");
  });
});

describe("stall extractor anchors (notes §5, soft lockup)", () => {
  it("`do_mmap` is an unanchored anchor: the frame above a `__do_mmap` names the stall", () => {
    const t = log("watchdog: BUG: soft lockup - CPU#0 stuck for 143s! [syz.0.1:4242]", ...HEAD, "RIP: 0010:foo_mmap_spin+0x1/0x2",
      "RSP: 0018:ffffc90000000000 EFLAGS: 00000246", "Call Trace:", " <TASK>", " foo_mmap_spin+0x1/0x2", " foo_mmap_region+0x1/0x2",
      " __do_mmap+0x1/0x2", " vm_mmap_pgoff+0x1/0x2", " ksys_mmap_pgoff+0x1/0x2", ...SYSCALL_TAIL);
    expect(first(t)!.title).toBe("BUG: soft lockup in foo_mmap_region");
  });
});

describe("WARNING frame (notes §5): `--- interrupt: N at F` on ppc", () => {
  it("the trap line of a powerpc WARN gives the frame, as the RIP line does on x86", () => {
    const t = log("WARNING: CPU: 0 PID: 4242 at drivers/foo/foo.c:12 foo_check+0x1/0x2", ...HEAD, "Call Trace:",
      "[c00000000f0b3a00] [c000000000a1b200] dump_stack_lvl+0x1/0x2 (unreliable)",
      "[c00000000f0b3a80] [c000000000a1b204] __warn+0x1/0x2",
      "[c00000000f0b3b00] [c000000000a1b208] report_bug+0x1/0x2",
      "[c00000000f0b3b80] [c000000000a1b20c] program_check_exception+0x1/0x2",
      "[c00000000f0b3c00] [c000000000a1b210] program_check_common_virt+0x1/0x2",
      "--- interrupt: 700 at foo_check+0x1/0x2",
      "[c00000000f0b3d00] [c000000000a1b214] foo_caller+0x1/0x2",
      "[c00000000f0b3d80] [c000000000a1b218] system_call_exception+0x1/0x2");
    const r = first(t)!;
    expect(r.title).toBe("WARNING in foo_check");
    expect(r.corrupted).toBe(false);
  });
});

describe("lockdep: `WARNING: .*-safe -> .*-unsafe lock order detected` (notes §5)", () => {
  it("any irq class, e.g. an old kernel's `hard-read-safe -> hard-read-unsafe`", () => {
    const t = log("======================================================",
      "[ INFO: hard-read-safe -> hard-read-unsafe lock order detected ]", "3.2.0 #1",
      "------------------------------------------------------",
      "syz/4242 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:",
      " (&foo->lock){+.+...}, at: [<ffffffff81234567>] foo_acquire+0x1/0x2", "",
      "and this task is already holding:", " (&bar->lock){-.-...}, at: [<ffffffff81234568>] bar_hold+0x1/0x2",
      "which would create a new lock dependency:", " (&bar->lock){-.-...} -> (&foo->lock){+.+...}", "",
      "but this new dependency connects a hard-read-irq-safe lock:", " (&bar->lock){-.-...}",
      "... which became hard-read-irq-safe at:", "  [<ffffffff81000001>] __lock_acquire+0x1/0x2", "",
      "other info that might help us debug this:", "", "1 lock held by syz/4242:",
      " #0:  (&bar->lock){-.-...}, at: [<ffffffff81234568>] bar_hold+0x1/0x2", "", "stack backtrace:",
      "Pid: 4242, comm: syz Not tainted 3.2.0 #1", "Call Trace:", " [<ffffffff81000002>] dump_stack+0x1/0x2",
      " [<ffffffff81000003>] bar_hold+0x1/0x2", " [<ffffffff81000004>] system_call_fastpath+0x1/0x2");
    const r = first(t)!;
    expect(r.kind).toBe("lockdep");
    expect(r.title).toBe("possible deadlock in bar_hold");
  });
});

describe("title sanitizing (notes §6): cut to 120 bytes, then drop", () => {
  it("control and non-ASCII bytes are dropped after the cut, so the title comes out shorter", () => {
    const body = "a".repeat(150);
    expect(sanitizeTitle("kernel panic: \u0001\u0002\u0003" + body)).toBe("kernel panic: " + "a".repeat(103));
    // 'é' is two bytes of UTF-8: ten of them take 20 of the 120 bytes
    expect(sanitizeTitle("kernel panic: " + "\u00e9".repeat(10) + body)).toBe("kernel panic: " + "a".repeat(86));
    // a character cut in two is dropped whole
    expect(sanitizeTitle("a".repeat(119) + "\u00e9b")).toBe("a".repeat(119));
    expect(sanitizeTitle("  short\ttitle  ")).toBe("short title");
  });
});

describe("corruption (notes §7)", () => {
  it("a timestamp in the title marks the report corrupted; one in a line the title regex spans does not", () => {
    const panic = first(log("Kernel panic - not syncing: foo failed[  100.200000][ T1] bar"))!;
    expect(panic.corrupted).toBe(true);
    const kasan = first(log("==================================================================",
      "BUG: KASAN: use-after-free in foo_read+0x1/0x2", "foo: noise from another printk[  100.300000][    C1] merged",
      "Read of size 8 at addr ffff888100000000 by task syz.0.1/4242", "", "CPU: 0 UID: 0 PID: 4242 Comm: syz.0.1 Not tainted 6.15.0 #1",
      "Call Trace:", " <TASK>", " dump_stack_lvl+0x1/0x2", " print_report+0x1/0x2", " kasan_report+0x1/0x2", " foo_read+0x1/0x2",
      " foo_ioctl+0x1/0x2", ...SYSCALL_TAIL))!;
    expect(kasan.title).toBe("KASAN: use-after-free Read in foo_read");
    expect(kasan.corrupted).toBe(false);
  });

  it("a fault-injection frame met while a stack part is scanned marks the report corrupted, even when parts2 names a frame", () => {
    // an old kernel's WARN (stack only, no RIP line), then the injected failure's stack of the same task
    const t = log("WARNING: CPU: 0 PID: 4242 at drivers/foo/foo.c:12 foo_check+0x1/0x2", ...HEAD, "Call Trace:",
      " foo_check+0x1/0x2", " foo_caller+0x1/0x2", " foo_ioctl+0x1/0x2",
      "FAULT_INJECTION: forcing a failure.", "name failslab, interval 1, probability 0, space 0, times 0",
      "CPU: 0 UID: 0 PID: 4242 Comm: syz.0.1 Not tainted 6.15.0 #1", "Call Trace:", " dump_stack_lvl+0x1/0x2",
      " should_fail_ex+0x1/0x2", " should_failslab+0x1/0x2", " __kmalloc+0x1/0x2", " foo_alloc+0x1/0x2");
    const r = first(t)!;
    expect(r.title).toBe("WARNING in foo_check");
    expect(r.corrupted).toBe(true);
    expect(r.corruptedReason).toContain("fault-injection");
  });

  it("`serialport: VM disconnected.` marks the reports still open at it corrupted", () => {
    const hung = log("INFO: task syz.0.1:4242 blocked for more than 143 seconds.", "      Not tainted 6.15.0 #1",
      "task:syz.0.1 state:D stack:0 pid:4242 ppid:1 flags:0x00004006", "Call Trace:", " <TASK>", " __schedule+0x1/0x2",
      " schedule+0x1/0x2", " foo_get_done+0x1/0x2", " foo_ioctl+0x1/0x2", ...SYSCALL_TAIL);
    expect(first(hung)!.corrupted).toBe(false);
    const r = first(hung + "serialport: VM disconnected.\n")!;
    expect(r.title).toBe("INFO: task hung in foo_get_done");
    expect(r.corrupted).toBe(true);
    expect(r.corruptedReason).toContain("VM disconnected");
    // the streaming parser: the same
    const s = createReportStream();
    const out = [...hung.trimEnd().split("\n").flatMap((l) => s.push(l)), ...s.push("serialport: VM disconnected."), ...s.end()];
    expect(out.map((x) => x.corrupted)).toEqual([true]);
  });
});
