import { describe, expect, it } from "vitest";
import { describeEvidence, parseSamples, parseSnapshot, pressureEvidence, pressureStartCommand } from "../../../harness/guest/index.ts";

const before = `== psi
some avg10=0.00 avg60=0.00 avg300=0.00 total=1000
full avg10=0.00 avg60=0.00 avg300=0.00 total=500
== vmstat
allocstall_dma 0
allocstall_dma32 1
allocstall_normal 2
allocstall_movable 0
pgscan_kswapd 100
pgscan_direct 10
pgsteal_kswapd 90
pgsteal_direct 9
oom_kill 0
== slab
xfs_inode          120    140   1024   16    4 : tunables    0    0    0 : slabdata      9      9      0
dentry           22071  22071    192   21    1 : tunables    0    0    0 : slabdata   1051   1051      0
== cgroup.events
low 0
high 0
max 0
oom 0
oom_kill 0
== cgroup.stat
pgscan 0
pgsteal 0
pgscan_kswapd 0
pgscan_direct 0
pgscan_khugepaged 0
pgsteal_kswapd 0
pgsteal_direct 0
pgsteal_khugepaged 0
== cgroup.peak
== meminfo
MemTotal:        1000000 kB
MemAvailable:     500000 kB
`;
const after = before
  .replace("total=1000", "total=2501000")
  .replace("allocstall_normal 2", "allocstall_normal 7")
  .replace("pgscan_kswapd 100", "pgscan_kswapd 25100")
  .replace("oom_kill 0\n== slab", "oom_kill 1\n== slab")
  .replace("xfs_inode          120", "xfs_inode          900")
  .replace("high 0", "high 12")
  .replace("pgscan 0", "pgscan 3000")
  .replace("pgscan_direct 0", "pgscan_direct 2800")
  .replace("pgscan_kswapd 0", "pgscan_kswapd 200")
  .replace("== cgroup.peak\n", "== cgroup.peak\n167772160\n");

describe("pressure evidence", () => {
  it("parses snapshots of /proc/pressure, /proc/vmstat, slabinfo and the cgroup", () => {
    const s = parseSnapshot(after);
    expect(s.psi).toEqual({ some: { avg10: 0, total: 2501000 }, full: { avg10: 0, total: 500 } });
    expect(s.vmstat.pgscan_kswapd).toBe(25100);
    expect(s.slab).toEqual({ xfs_inode: 900, dentry: 22071 });
    expect(s.cgroupEvents.high).toBe(12);
    expect(s.cgroupPeak).toBe(167772160);
    expect(s.meminfoKiB.MemAvailable).toBe(500000);
  });

  it("turns two snapshots and the sampler's lines into deltas, peaks and a verdict on whether pressure was shown", () => {
    const samples = "1700000000 0.00 xfs_inode=120 dentry=22071 \n1700000002 37.50 xfs_inode=2400 dentry=30000 \ngarbage\n";
    const e = pressureEvidence(parseSnapshot(before), parseSnapshot(after), samples, { asked: true, durationMs: 60_000 });
    expect(e.shown).toBe(true);
    expect(e.psi).toEqual({ someStallMs: 2500, fullStallMs: 0, someAvg10Peak: 37.5 });
    expect(e.vmstat).toMatchObject({ allocstall: 5, pgscan_kswapd: 25000, pgscan_direct: 0, oom_kill: 1 });
    expect(e.oomKills).toBe(1);
    expect(e.slab.xfs_inode).toEqual({ before: 120, after: 900, peak: 2400 });
    expect(e.cgroup).toEqual({
      events: { low: 0, high: 12, max: 0, oom: 0, oom_kill: 0 },
      stat: { pgscan: 3000, pgsteal: 0, pgscan_kswapd: 200, pgscan_direct: 2800, pgscan_khugepaged: 0, pgsteal_kswapd: 0, pgsteal_direct: 0, pgsteal_khugepaged: 0 },
      peakMiB: 160,
    });
    expect(e.directReclaim).toBe(true);
    expect(e.samples).toBe(2);
    expect(describeEvidence(e)).toBe(
      "psi some 2.5 s (avg10 peak 38%), pgscan 25k (kswapd 25k, direct 0), allocstall 5, cgroup high/max events 12/0, cgroup pgscan 3000 (kswapd 200, direct 2800), peak 160 MiB, direct reclaim: yes, oom kills 1, xfs_inode peak 2400",
    );
  });

  it("no stall, no scan, no cgroup reclaim: not shown", () => {
    const e = pressureEvidence(parseSnapshot(before), parseSnapshot(before), "", { asked: true, durationMs: 1 });
    expect(e.shown).toBe(false);
    expect(e.directReclaim).toBe(false);
    expect(describeEvidence(e)).not.toContain("direct reclaim");
    expect(parseSamples("").count).toBe(0);
  });

  it("kswapd-only pressure (the default suite's evidence so far) is shown but says no direct reclaim", () => {
    const kswapdOnly = before.replace("pgscan_kswapd 100", "pgscan_kswapd 9100");
    const e = pressureEvidence(parseSnapshot(before), parseSnapshot(kswapdOnly), "", { asked: true, durationMs: 1 });
    expect(e.shown).toBe(true);
    expect(e.directReclaim).toBe(false);
    expect(describeEvidence(e)).toContain("direct reclaim: none (kswapd only)");
  });

  it("the snapshot reads the cgroup's split reclaim counters (kswapd, direct) from memory.stat", async () => {
    const { SNAPSHOT_COMMAND } = await import("../../../harness/guest/pressure.ts");
    const { execa } = await import("execa");
    // The grep of the snapshot on a real memory.stat text (as cgroup v2 on 6.12 prints it).
    const stat = "anon 1\npgscan 7\npgsteal 6\npgscan_kswapd 2\npgscan_direct 5\npgscan_khugepaged 0\npgsteal_kswapd 2\npgsteal_direct 4\npgsteal_khugepaged 0\npgrefill 9\n";
    const cmd = /grep -E ('[^']+') \S+\/memory\.stat/.exec(SNAPSHOT_COMMAND)![1]!;
    const r = await execa("sh", ["-c", `grep -E ${cmd}`], { input: stat, timeout: 10_000 });
    expect(r.stdout.split("\n")).toEqual(["pgscan 7", "pgsteal 6", "pgscan_kswapd 2", "pgscan_direct 5", "pgscan_khugepaged 0", "pgsteal_kswapd 2", "pgsteal_direct 4", "pgsteal_khugepaged 0"]);
  });

  it("hogs sized to leave memory free are computed in the guest from MemAvailable", () => {
    const cmd = pressureStartCommand({ hogs: { workers: 2, leave: 128, keep: true } });
    expect(cmd).toContain("MemAvailable");
    expect(cmd).toContain("- 131072) / 2");
    expect(cmd).toContain("stress-ng --vm 2 --vm-bytes");
  });
});
