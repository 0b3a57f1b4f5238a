/** Report boundaries, interleaving, repeats, truncation, and batch/stream agreement. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createReportStream, mergeReports, parseAllReports, parseReports, stripSyzkallerHeader, type Report,
} from "../../../harness/detect/index.ts";

const FIX = join(import.meta.dirname, "../../fixtures");
const SYZ = join(FIX, "syzkaller-reports");
const REAL = join(FIX, "real-vm");

function streamAll(text: string, opts?: { maxReportLines?: number }, chunk?: number): Report[] {
  const s = createReportStream(opts);
  const out: Report[] = [];
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop(); // a follower sees no line after the last newline
  if (chunk) {
    // a follower sees the log in bursts; pushing line by line in bursts must not change anything
    for (let i = 0; i < lines.length; i += chunk) for (const l of lines.slice(i, i + chunk)) out.push(...s.push(l));
  } else for (const l of lines) out.push(...s.push(l));
  out.push(...s.end());
  return mergeReports(out.sort((a, b) => a.startLine - b.startLine));
}

const hung = (ts: number, pid = 427, prefix = "") =>
  [
    `[${ts.toFixed(6).padStart(12)}]${prefix} INFO: task dd:${pid} blocked for more than 10 seconds.`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}       Not tainted 6.1.0 #1`,
    `[${ts.toFixed(6).padStart(12)}]${prefix} task:dd              state:D stack:0     pid:${pid}   ppid:1      flags:0x00000002`,
    `[${ts.toFixed(6).padStart(12)}]${prefix} Call Trace:`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  <TASK>`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  __schedule+0x34d/0xa00`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  schedule+0x5a/0xd0`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  xfs_ilock+0x1d/0x40 [xfs]`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  ? xfs_bogus+0x1/0x2 [xfs]`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  xfs_file_buffered_write.isra.3+0x8b/0x2c0 [xfs]`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  vfs_write+0x2a7/0x540`,
    `[${ts.toFixed(6).padStart(12)}]${prefix}  </TASK>`,
  ];

describe("batch parser and stream agree", () => {
  const files = [
    ...readdirSync(SYZ).filter((f) => /^\d+$/.test(f)).map((f) => stripSyzkallerHeader(readFileSync(join(SYZ, f), "utf8"))),
    ...readdirSync(REAL).filter((f) => f.endsWith(".log")).map((f) => readFileSync(join(REAL, f), "utf8")),
  ];
  it("on every fixture, line by line and in bursts", () => {
    for (const text of files) {
      const batch = parseReports(text);
      expect(streamAll(text)).toEqual(batch);
      expect(streamAll(text, undefined, 7)).toEqual(batch);
    }
  });
});

describe("report boundaries", () => {
  it("emits a report when its end marker arrives, not at end()", () => {
    const s = createReportStream();
    const lines = readFileSync(join(REAL, "linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log"), "utf8").split("\n");
    const emitted: { line: number; kind: string }[] = [];
    lines.forEach((l, i) => {
      for (const r of s.push(l)) emitted.push({ line: i + 1, kind: r.kind });
    });
    expect(s.end()).toEqual([]);
    // the lockdep report ends at </TASK> (797) and is emitted when the next non-report line comes;
    // the WARNING ends with ---[ end trace (835) and is emitted on the following line
    expect(emitted).toEqual([{ line: 798, kind: "lockdep" }, { line: 836, kind: "warning" }]);
  });

  it("finds many reports in one log, in order", () => {
    const text = [...hung(10), "[   11.000000] some driver message", ...hung(20, 500).map((l) => l.replace(/dd/g, "cp")), "after"].join("\n");
    const r = parseReports(text);
    expect(r.map((x) => [x.task?.comm, x.task?.pid, x.count])).toEqual([["dd", 427, 1], ["cp", 500, 1]]);
    expect(r[0]!.startLine).toBe(1);
    expect(r[0]!.endLine).toBe(12);
    expect(r[1]!.startLine).toBe(14);
  });

  it("counts a hung task reported every interval as one report", () => {
    const text = [...hung(10), ...hung(20), ...hung(30)].join("\n");
    const r = parseReports(text);
    expect(r).toHaveLength(1);
    expect(r[0]!.count).toBe(3);
    expect(r[0]!.firstTimestamp).toBe(10);
    expect(r[0]!.lastTimestamp).toBe(30);
    // every occurrence is still visible one by one
    expect(parseAllReports(text).map((x) => x.count)).toEqual([1, 2, 3]);
  });

  it("keeps two tasks stuck at the same place apart, with the same signature", () => {
    const r = parseReports([...hung(10, 1), ...hung(10, 2)].join("\n"));
    expect(r).toHaveLength(2);
    expect(r[0]!.signature).toBe(r[1]!.signature);
  });

  it("drops `?` frames and normalizes the rest", () => {
    const r = parseReports(hung(10).join("\n"))[0]!;
    expect(r.frames).toEqual(["__schedule", "schedule", "xfs_ilock", "xfs_file_buffered_write", "vfs_write"]);
    expect(r.title).toBe("INFO: task hung in xfs_ilock");
    expect(r.signature).toBe("hung-task:xfs_ilock|xfs_file_buffered_write|vfs_write");
  });

  it("separates reports of two tasks interleaved line by line (caller ids)", () => {
    const a = hung(10, 427, "[   T23]");
    const b = [
      "[   10.000000][  T600] ------------[ cut here ]------------",
      "[   10.000000][  T600] WARNING: CPU: 1 PID: 600 at fs/xfs/xfs_log.c:123 xfs_log_force+0x10/0x20 [xfs]",
      "[   10.000000][  T600] Modules linked in: xfs",
      "[   10.000000][  T600] CPU: 1 PID: 600 Comm: xfsaild Not tainted 6.12.0 #1",
      "[   10.000000][  T600] RIP: 0010:xfs_log_force+0x10/0x20 [xfs]",
      "[   10.000000][  T600] Call Trace:",
      "[   10.000000][  T600]  <TASK>",
      "[   10.000000][  T600]  xfsaild_push+0x1/0x2 [xfs]",
      "[   10.000000][  T600]  xfsaild+0x1/0x2 [xfs]",
      "[   10.000000][  T600]  kthread+0xdd/0x110",
      "[   10.000000][  T600]  </TASK>",
      "[   10.000000][  T600] ---[ end trace 0000000000000000 ]---",
    ];
    const mixed: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) mixed.push(a[i]!);
      mixed.push(`[   10.000000][  T77] unrelated message ${i}`);
      if (b[i]) mixed.push(b[i]!);
    }
    const r = parseReports(mixed.join("\n"));
    expect(r.map((x) => x.title)).toEqual(["INFO: task hung in xfs_ilock", "WARNING in xfs_log_force"]);
    expect(r[0]!.frames).toEqual(["__schedule", "schedule", "xfs_ilock", "xfs_file_buffered_write", "vfs_write"]);
    expect(r[1]!.warning).toMatchObject({ file: "fs/xfs/xfs_log.c", line: 123 });
    expect(r[1]!.text).not.toContain("unrelated");
    expect(r.every((x) => !x.corrupted)).toBe(true);
  });

  it("keeps a stack together when an unrelated line is printed in the middle (no caller ids)", () => {
    const lines = hung(10).filter((l) => !l.includes("TASK>"));
    lines.splice(7, 0, "[   10.000000] unregister_netdevice: waiting for lo to become free. Usage count = 6");
    const r = parseReports(lines.join("\n"));
    expect(r).toHaveLength(1);
    expect(r[0]!.title).toBe("INFO: task hung in xfs_ilock");
  });

  it("ignores untimestamped output (systemd, shell) between timestamped report lines", () => {
    const lines = hung(10);
    lines.splice(6, 0, "[  OK  ] Stopped target foo.", "root@vm:~# ");
    const r = parseReports(lines.join("\n"));
    expect(r[0]!.frames).toHaveLength(5);
    expect(r[0]!.text).not.toContain("OK");
  });

  it("attaches the panic that follows a WARNING to it (panic_on_warn)", () => {
    const text = [
      "[    1.0] WARNING: CPU: 0 PID: 1 at mm/foo.c:1 foo_bar+0x1/0x2",
      "[    1.0] Modules linked in:",
      "[    1.0] RIP: 0010:foo_bar+0x1/0x2",
      "[    1.0] Call Trace:",
      "[    1.0]  <TASK>",
      "[    1.0]  caller_fn+0x1/0x2",
      "[    1.0]  </TASK>",
      "[    1.0] Kernel panic - not syncing: panic_on_warn set ...",
      "[    1.0] CPU: 0 PID: 1 Comm: init Not tainted 6.1 #1",
      "[    1.0] Call Trace:",
      "[    1.0]  <TASK>",
      "[    1.0]  panic+0x1/0x2",
      "[    1.0]  </TASK>",
      "[    1.0] Kernel Offset: disabled",
      "[    1.0] ---[ end Kernel panic - not syncing: panic_on_warn set ... ]---",
    ].join("\n");
    const r = parseReports(text);
    expect(r.map((x) => x.title)).toEqual(["WARNING in foo_bar"]);
    expect(r[0]!.endLine).toBe(15);
  });
});

describe("corrupted and truncated reports", () => {
  it("marks a report cut inside its stack", () => {
    const r = parseReports(hung(10).slice(0, 8).join("\n"));
    expect(r).toHaveLength(1);
    expect(r[0]!.corrupted).toBe(true);
    expect(r[0]!.corruptedReason).toMatch(/truncated/);
  });

  it("marks a report cut by the line cap, keeping memory bounded", () => {
    const long = [...hung(10).slice(0, 6), ...Array.from({ length: 500 }, (_, i) => `[   10.000000]  filler_${i}+0x1/0x2`)];
    const r = streamAll(long.join("\n"), { maxReportLines: 100 });
    expect(r[0]!.corrupted).toBe(true);
    expect(r[0]!.corruptedReason).toMatch(/truncated/);
    expect(r[0]!.text.split("\n").length).toBeLessThanOrEqual(100);
  });

  it("marks a header with no stack as corrupted (syzkaller rule)", () => {
    const r = parseReports("[ 1.0] INFO: task dd:1 blocked for more than 120 seconds.\n[ 1.0] other");
    expect(r[0]!.title).toBe("INFO: task hung in corrupted");
    expect(r[0]!.corrupted).toBe(true);
    expect(r[0]!.guiltyFrame).toBeUndefined();
  });

  it("finds nothing in an ordinary boot log", () => {
    const text = readFileSync(join(REAL, "linux-6.12-lockdep-localio-enospc-clean.console.log"), "utf8");
    expect(parseReports(text)).toEqual([]);
    expect(parseReports("")).toEqual([]);
  });
});

describe("other report kinds", () => {
  it("OOM: one report from the oom-killer to the kill", () => {
    const text = [
      "[  5.0] stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
      "[  5.0] CPU: 0 PID: 321 Comm: stress Not tainted 6.12.0 #1",
      "[  5.0] Call Trace:",
      "[  5.0]  <TASK>",
      "[  5.0]  dump_stack_lvl+0x1/0x2",
      "[  5.0]  dump_header+0x1/0x2",
      "[  5.0]  oom_kill_process+0x1/0x2",
      "[  5.0]  out_of_memory+0x1/0x2",
      "[  5.0]  __alloc_pages_slowpath.constprop.0+0x1/0x2",
      "[  5.0]  shmem_get_folio_gfp+0x1/0x2",
      "[  5.0]  shmem_fault+0x1/0x2",
      "[  5.0]  </TASK>",
      "[  5.0] Mem-Info:",
      "[  5.0] active_anon:1 inactive_anon:2",
      "[  5.0] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=stress,pid=322,uid=0",
      "[  5.0] Out of memory: Killed process 322 (stress) total-vm:1kB, anon-rss:1kB",
      "[  5.0] oom_reaper: reaped process 322 (stress), now anon-rss:0kB",
      "[  6.0] something else",
    ].join("\n");
    const r = parseReports(text);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ kind: "oom", title: "out of memory in shmem_get_folio_gfp", oom: { killed: { comm: "stress", pid: 322 } } });
    expect(r[0]!.task).toEqual({ comm: "stress", pid: 321 });
    expect(r[0]!.endLine).toBe(17);
  });

  it("workqueue lockup and soft lockup kinds", () => {
    const wq = parseReports("[ 9.0] BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 32s!\n[ 9.0] Showing busy workqueues and worker pools:");
    expect(wq[0]).toMatchObject({ kind: "workqueue-lockup", title: "BUG: workqueue lockup", corrupted: false });
    const syz = readFileSync(join(SYZ, "350"), "utf8");
    expect(parseReports(stripSyzkallerHeader(syz))[0]).toMatchObject({ kind: "soft-lockup", title: "BUG: soft lockup in smp_call_function" });
  });
});
