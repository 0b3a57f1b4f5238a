/**
 * Console logs captured from real QEMU guests (test/fixtures/real-vm, see its README).
 *
 * Each log has its expectations next to it, `<log>.expected`: header lines like a syzkaller test
 * file's (`TITLE:`, `KIND:`, `SIGNATURE:`, `CORRUPTED:`, `COUNT:`, `LINES:`, one group per report in
 * order; a lone empty `TITLE:` for a log without a report). They sit beside the log rather than in it
 * because other tests slice these logs by line number. After a parser change, rewrite them from the
 * parser's output and review the diff:
 *
 *   HANGAR_UPDATE_EXPECTED=1 npx vitest run test/unit/detect/real-vm.test.ts
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createReportStream, mergeReports, parseReports, type Report } from "../../../harness/detect/index.ts";

const DIR = join(import.meta.dirname, "../../fixtures/real-vm");
const read = (f: string) => readFileSync(join(DIR, f), "utf8");
const UPDATE = process.env.HANGAR_UPDATE_EXPECTED === "1";

/** The expectation header of a log's reports. */
function expectationHeader(log: string, reports: Report[]): string {
  const out = [
    `# hangar parse ${log}: the reports it must find, in order (see test/unit/detect/real-vm.test.ts)`,
    "# rewrite: HANGAR_UPDATE_EXPECTED=1 npx vitest run test/unit/detect/real-vm.test.ts, then review the diff",
  ];
  if (reports.length === 0) out.push("TITLE:");
  for (const r of reports) {
    out.push(`TITLE: ${r.title}`, `KIND: ${r.kind}`, `SIGNATURE: ${r.signature}`, `CORRUPTED: ${r.corrupted ? "Y" : "N"}`);
    out.push(`COUNT: ${r.count}`, `LINES: ${r.startLine}-${r.endLine}`);
  }
  return out.join("\n") + "\n";
}

describe("every real-guest log matches its expectation header", () => {
  const logs = readdirSync(DIR).filter((f) => f.endsWith(".log"));
  it("has the logs", () => {
    expect(logs.length).toBeGreaterThanOrEqual(5);
  });
  it.each(logs)("%s", (log) => {
    const text = read(log);
    const got = expectationHeader(log, parseReports(text));
    // the live stream finds the same
    expect(expectationHeader(log, viaStream(text))).toBe(got);
    const file = join(DIR, `${log}.expected`);
    if (UPDATE) writeFileSync(file, got);
    expect(got).toBe(readFileSync(file, "utf8"));
  });
});

function viaStream(text: string): Report[] {
  const s = createReportStream();
  const out: Report[] = [];
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  for (const line of lines) out.push(...s.push(line));
  out.push(...s.end());
  return mergeReports(out.sort((a, b) => a.startLine - b.startLine));
}

describe("debian 6.1 fsfreeze hung task", () => {
  const text = read("debian-6.1-fsfreeze-hung-task.console.log");
  const reports = parseReports(text);

  it("is one hung-task report for dd, counted twice", () => {
    expect(reports).toHaveLength(1);
    const r = reports[0]!;
    expect(r.kind).toBe("hung-task");
    expect(r.count).toBe(2);
    expect(r.task).toEqual({ comm: "dd", pid: 427, state: "D" });
    expect(r.title).toMatch(/^INFO: task hung in /);
    expect(r.corrupted).toBe(false);
  });

  it("names the freeze protection (sb_start_write via mnt_want_write) as the guilty frame", () => {
    const r = reports[0]!;
    // __schedule, schedule, percpu_rwsem_wait, __percpu_down_read are waiting frames; mnt_want_write
    // is where the writer blocks on the frozen superblock's write protection
    expect(r.guiltyFrame).toBe("mnt_want_write");
    expect(r.title).toBe("INFO: task hung in mnt_want_write");
    expect(r.frames).toContain("percpu_rwsem_wait");
    expect(r.frames).not.toContain("__percpu_rwsem_trylock"); // a `?` frame
    expect(r.signature).toBe("hung-task:mnt_want_write|path_openat|do_filp_open");
  });

  it("keeps the time range of both occurrences", () => {
    const r = reports[0]!;
    expect(r.startLine).toBe(650);
    expect(r.firstTimestamp).toBeCloseTo(62.643693);
    expect(r.lastTimestamp).toBeCloseTo(72.88559);
  });

  it("gives the same result through the stream", () => {
    expect(viaStream(text)).toEqual(reports);
  });
});

describe("linux 6.12 lockdep localio ENOSPC, clean", () => {
  it("has no report", () => {
    const text = read("linux-6.12-lockdep-localio-enospc-clean.console.log");
    expect(parseReports(text)).toEqual([]);
    expect(viaStream(text)).toEqual([]);
  });
});

describe("linux 6.12 localio on nfsiod: check_flush_dependency WARNING with a lockdep splat inside", () => {
  const text = read("linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log");
  const reports = parseReports(text);

  it("finds both reports", () => {
    expect(reports.map((r) => r.kind)).toEqual(["lockdep", "warning"]);
    expect(reports.every((r) => !r.corrupted)).toBe(true);
  });

  it("reads the flush dependency from the message printed before the WARNING line", () => {
    const w = reports.find((r) => r.kind === "warning")!;
    expect(w.title).toBe("WARNING in check_flush_dependency");
    expect(w.warning?.flushDependency).toEqual({
      flushingWq: "nfsiod",
      flushingWork: "nfs_local_call_write",
      flushedWq: "xfs-sync/vdb",
      flushedWork: "xfs_flush_inodes_worker",
    });
    expect(w.warning?.file).toBe("kernel/workqueue.c");
    expect(w.warning?.line).toBe(3767);
    expect(w.warning?.message).toMatch(/^workqueue: WQ_MEM_RECLAIM nfsiod/);
    expect(w.task).toEqual({ comm: "kworker/u8:160", pid: 497 });
    expect(w.signature).toBe("warning/flush-dependency:nfsiod:nfs_local_call_write>xfs-sync:xfs_flush_inodes_worker");
    expect(w.frames).toEqual(expect.arrayContaining(["xfs_file_buffered_write", "nfs_local_call_write"]));
    expect(w.startLine).toBe(798);
    expect(w.endLine).toBe(835);
  });

  it("reads the lockdep cycle console_owner vs pool->lock", () => {
    const l = reports.find((r) => r.kind === "lockdep")!;
    expect(l.title).toBe("possible deadlock in console_lock_spinning_enable");
    expect(l.lockdep?.type).toBe("circular");
    expect(l.lockdep?.lockClasses).toEqual(expect.arrayContaining(["console_owner", "&pool->lock"]));
    expect(l.lockdep?.chain).toEqual(["console_owner", "&port_lock_key", "&dev->power.lock", "&pool->lock"]);
    expect(l.lockdep?.tasks).toEqual([{ comm: "kworker/u8:160", pid: 497 }]);
    expect(l.signature).toBe("lockdep/circular:&dev->power.lock>&pool->lock>console_owner>&port_lock_key");
    expect(l.endLine).toBe(797);
  });

  it("gives the same result through the stream", () => {
    expect(viaStream(text)).toEqual(reports);
  });
});

describe("linux 6.12 lockdep kernel, hangar_lockdep_abba module (selftest-lockdep, captured by hangar)", () => {
  const text = read("linux-6.12-lockdep-abba-module.console.log");
  const reports = parseReports(text);

  it("is one circular-locking report over the module's two mutexes, raised by insmod", () => {
    expect(reports).toHaveLength(1);
    const r = reports[0]!;
    expect(r.kind).toBe("lockdep");
    expect(r.title).toBe("possible deadlock in hangar_path_ba");
    expect(r.corrupted).toBe(false);
    expect(r.lockdep?.type).toBe("circular");
    expect(r.lockdep?.lockClasses).toEqual(expect.arrayContaining(["hangar_lock_a", "hangar_lock_b"]));
    expect(r.lockdep?.chain).toEqual(["hangar_lock_a", "hangar_lock_b"]);
    expect(r.lockdep?.tasks[0]?.comm).toBe("insmod");
    expect(r.signature).toBe("lockdep/circular:hangar_lock_a>hangar_lock_b");
  });

  it("the stream finds the same report", () => {
    expect(viaStream(text).map((r) => r.signature)).toEqual(reports.map((r) => r.signature));
  });

  it("the same boot's `dmesg --follow` log (continuation lines indented, not stamped) gives the same report", () => {
    const dmesg = parseReports(read("linux-6.12-lockdep-abba-module.dmesg.log"));
    expect(dmesg.map((r) => r.signature)).toEqual(["lockdep/circular:hangar_lock_a>hangar_lock_b"]);
    expect(dmesg[0]!.lockdep?.chain).toEqual(["hangar_lock_a", "hangar_lock_b"]);
    expect(mergeReports(reports, dmesg)).toHaveLength(1);
  });
});
