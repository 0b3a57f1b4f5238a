/** The same bug on another build or run (offsets, addresses, pids, timestamps, lock instances) keeps its signature. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalCycle, mergeReports, parseReports, titleSubtype } from "../../../harness/detect/index.ts";

const REAL = join(import.meta.dirname, "../../fixtures/real-vm");
const read = (f: string) => readFileSync(join(REAL, f), "utf8");

/** Another build and another run: shift timestamps, change offsets, addresses, pids and lock instance numbers. */
function rebuild(text: string): string {
  let k = 0;
  return text
    .replace(/\[ *([0-9]+)\.([0-9]+)\]/g, (_m, s: string, us: string) => `[${String(Number(s) + 1000).padStart(5)}.${us}]`)
    .replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, () => `+0x${(++k * 7).toString(16)}/0x${(k * 31 + 400).toString(16)}`)
    .replace(/\b[0-9a-f]{16}\b/g, (m) => m.slice(0, 10) + "abcdef")
    .replace(/\b(pid:|PID: |dd:|kworker\/u8:160\/)(427|497)\b/g, (_m, p: string) => `${p}31337`)
    .replace(/#(15|18)\b/g, "#3")
    .replace(/6\.1\.0-56-cloud-amd64|6\.12\.117/g, "6.13.0-rc1");
}

describe("signatures", () => {
  for (const f of ["debian-6.1-fsfreeze-hung-task.console.log", "linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log"]) {
    it(`are stable across builds and runs: ${f}`, () => {
      const a = parseReports(read(f));
      const changed = rebuild(read(f));
      expect(changed).not.toBe(read(f));
      const b = parseReports(changed);
      expect(b.map((r) => r.signature)).toEqual(a.map((r) => r.signature));
      expect(b.map((r) => r.title)).toEqual(a.map((r) => r.title));
      expect(b.map((r) => r.count)).toEqual(a.map((r) => r.count));
    });
  }

  it("change when the bug changes", () => {
    const text = read("linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log");
    const other = text.replace(/xfs-sync\/vdb:xfs_flush_inodes_worker/g, "xfs-sync/vdb:xfs_other_worker");
    expect(parseReports(other)[1]!.signature).not.toBe(parseReports(text)[1]!.signature);
  });

  it("ignore the device in a workqueue name (xfs-sync/vdb vs xfs-sync/vdc)", () => {
    const text = read("linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log");
    expect(parseReports(text.replace(/xfs-sync\/vdb/g, "xfs-sync/vdc"))[1]!.signature).toBe(parseReports(text)[1]!.signature);
  });

  it("rotate lockdep cycles canonically", () => {
    expect(canonicalCycle(["b", "c", "a"])).toEqual(["a", "b", "c"]);
    expect(canonicalCycle(["c", "a", "b"])).toEqual(["a", "b", "c"]);
    expect(canonicalCycle(["a", "c", "b"])).toEqual(["a", "c", "b"]);
  });

  it("carry the title subtype when it matters", () => {
    expect(titleSubtype("KASAN: use-after-free Read in icmp_send")).toBe("use-after-free-read");
    expect(titleSubtype("WARNING: refcount bug in hci_register_dev")).toBe("refcount-bug");
    expect(titleSubtype("WARNING in foo")).toBeUndefined();
    expect(titleSubtype("INFO: task hung in foo")).toBeUndefined();
  });
});

describe("mergeReports (console.log + dmesg.log of one attempt)", () => {
  it("folds the same report from both logs, keeping the larger count and the union of times", () => {
    const text = read("debian-6.1-fsfreeze-hung-task.console.log");
    const consoleReports = parseReports(text);
    // dmesg saw only the first occurrence, and its copy was cut short
    const lines = text.split("\n");
    const dmesg = parseReports(lines.slice(649, 670).join("\n"));
    expect(dmesg[0]!.corrupted).toBe(true);
    const merged = mergeReports(consoleReports, dmesg);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.count).toBe(2);
    expect(merged[0]!.corrupted).toBe(false);
    expect(merged[0]!.lastTimestamp).toBeCloseTo(72.88559);
    expect(mergeReports(dmesg, consoleReports)[0]!.corrupted).toBe(false);
  });
});
