/**
 * `hangar expect`: the five report texts (copies of ../shared/reports in test/fixtures/reports)
 * and real guest consoles → an expect: block that is valid against the scenario schema and whose
 * signatures match the reports they were drafted from.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../../harness/common/index.ts";
import { scenarioSchema } from "../../../harness/config/index.ts";
import { parseReports } from "../../../harness/detect/index.ts";
import { draftSignatures, proseHints, recoverLogText } from "../../../harness/expect/index.ts";
import { matchReports } from "../../../harness/match/index.ts";
import { draftExpect } from "../../../harness/cli/expect.ts";

const fixture = (...p: string[]) => join(repoRoot, "test", "fixtures", ...p);
const REPORTS = ["000_8942019e608a58a0.txt", "001_56dfca235afae07b.txt", "002_bf8fc762ccecfd5b.txt", "003_ea05d8311bafc5b3.txt", "004_9476be692fc6915d.txt"];

/** The printed block pasted into a minimal scenario must pass the real schema. */
function validExpect(yaml: string) {
  const doc = parse(yaml) as { expect: unknown };
  const r = scenarioSchema.safeParse({ name: "t", steps: [{ name: "s", run: "true" }], expect: doc.expect });
  expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  return r.data!.expect;
}

describe("hangar expect on the five reports", () => {
  it("004: a WARNING signature naming the flushing (writeback) and flushed (xfs-sync) workqueues, from a one-line quoted message", async () => {
    const raw = await readFile(fixture("reports", REPORTS[4]!), "utf8");
    expect(raw.trim().split("\n").length).toBe(1); // the whole message is one line
    const { yaml, reports } = await draftExpect([fixture("reports", REPORTS[4]!)]);
    expect(reports).toBe(1);
    const exp = validExpect(yaml);
    expect(exp.signatures).toEqual([
      { name: "writeback-flushes-xfs-sync", kind: "warning", title: "^WARNING in check_flush_dependency$", workqueues: ["writeback", "xfs-sync"] },
    ]);
    // It matches the report it came from, and the frames stop where the trace ends (no prose words).
    const found = parseReports(recoverLogText(raw));
    expect(found[0]!.frames.at(-1)).toBe("process_scheduled_works");
    expect(found[0]!.frames).toContain("nfs_local_doio");
    expect(matchReports(found, exp).verdict).toBe("reproduced");
  });

  for (const f of REPORTS.slice(0, 4)) {
    it(`${f}: prose only, so no signature (exit 1) and the kernel names it mentions as hints`, async () => {
      const { yaml, reports } = await draftExpect([fixture("reports", f)]);
      expect(reports).toBe(0);
      expect(validExpect(yaml).signatures).toEqual([]);
      expect(yaml).toMatch(/# No kernel report in the text/);
    });
  }

  it("the hints name what each report is about (including names 6.12 no longer has, for hangar lint)", async () => {
    const hints = async (f: string) => proseHints(recoverLogText(await readFile(fixture("reports", f), "utf8")));
    expect((await hints(REPORTS[0]!)).functions).toContain("xfs_btree_split");
    expect((await hints(REPORTS[1]!)).functions).toEqual(expect.arrayContaining(["unregister_shrinker", "xfs_inodegc_want_flush_work"]));
    expect((await hints(REPORTS[1]!)).locks).toEqual(["shrinker_rwsem"]);
    expect((await hints(REPORTS[3]!)).functions).toEqual(expect.arrayContaining(["normal_work_helper", "run_ordered_work"]));
  });
});

describe("recoverLogText", () => {
  it("strips quote levels and keeps a plain console log as it is", () => {
    expect(recoverLogText("> > [ 1.0] WARNING: x\n> foo")).toBe("[ 1.0] WARNING: x\n\nfoo");
    const log = "[    1.000000] hello\n[    2.000000] world";
    expect(recoverLogText(log)).toBe(log);
  });
  it("splits a joined trace with no quote marks at its log-line starts", () => {
    const joined = "Seen this: " + "INFO: task dd:123 blocked for more than 120 seconds. Call Trace: <TASK> __schedule+0x1/0x2 schedule+0x3/0x4 percpu_rwsem_wait+0x5/0x6 mnt_want_write+0x7/0x8 path_openat+0x9/0xa </TASK> ".repeat(2);
    const lines = recoverLogText(joined).split("\n");
    expect(lines).toContain("mnt_want_write+0x7/0x8");
    expect(lines.filter((l) => l.startsWith("INFO: task dd:123")).length).toBe(2);
  });
});

describe("drafted signatures match the real guest logs they came from", () => {
  for (const f of ["debian-6.1-fsfreeze-hung-task.console.log", "linux-6.12-lockdep-abba-module.console.log", "linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log"]) {
    it(f, async () => {
      const reports = parseReports(await readFile(fixture("real-vm", f), "utf8"));
      expect(reports.length).toBeGreaterThan(0);
      const signatures = draftSignatures(reports);
      const res = matchReports(reports, { signatures });
      // every report is matched by some drafted signature
      expect(res.unexpected).toEqual([]);
      expect(new Set(res.matched.map((m) => m.reportIndex)).size).toBe(reports.length);
    });
  }
  it("a plain console log goes through recoverLogText unchanged in its reports", async () => {
    for (const f of ["debian-6.1-fsfreeze-hung-task.console.log", "linux-6.12-lockdep-abba-module.console.log", "linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log", "linux-6.12-lockdep-localio-enospc-clean.console.log"]) {
      const text = await readFile(fixture("real-vm", f), "utf8");
      const sig = (t: string) => parseReports(t).map((r) => [r.signature, r.frames.length]);
      expect(sig(recoverLogText(text)), f).toEqual(sig(text));
    }
  });
  it("the lockdep module's splat drafts its lock-class cycle", async () => {
    const reports = parseReports(await readFile(fixture("real-vm", "linux-6.12-lockdep-abba-module.console.log"), "utf8"));
    const lockdep = draftSignatures(reports).find((s) => s.kind === "lockdep");
    expect(lockdep?.lockClasses).toEqual(expect.arrayContaining(["hangar_lock_a", "hangar_lock_b"]));
  });
  it("the nfsiod console drafts nfsiod flushing xfs-sync", async () => {
    const reports = parseReports(await readFile(fixture("real-vm", "linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log"), "utf8"));
    expect(draftSignatures(reports).find((s) => s.kind === "warning")?.workqueues).toEqual(["nfsiod", "xfs-sync"]);
  });
});
