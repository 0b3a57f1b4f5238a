/**
 * The shipped scenarios' own `expect:` blocks against real guest logs (test/fixtures/real-vm):
 * what each scenario would judge on the console a real run of its kind printed.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { loadScenario } from "../../../harness/config/index.ts";
import { parseReports } from "../../../harness/detect/index.ts";
import { judge, type PhaseOutcome } from "../../../harness/run/index.ts";

const ALL_OK: PhaseOutcome[] = ["preflight", "boot", "detectors", "workload", "cooldown", "collect", "teardown"].map((phase) => ({ phase: phase as PhaseOutcome["phase"], status: "ok", ms: 1 }));

async function verdictOf(scenario: string, log: string) {
  const sc = await loadScenario(join(repoRoot, "workloads", `${scenario}.yaml`));
  const reports = parseReports(await readFile(join(repoRoot, "test/fixtures/real-vm", log), "utf8"));
  return judge(ALL_OK, reports, sc.expect);
}

describe("shipped expectations on real guest logs", () => {
  const cases: [scenario: string, log: string, verdict: string, matched?: string][] = [
    ["selftest-hung-task", "debian-6.1-fsfreeze-hung-task.console.log", "reproduced", "writer-blocked-on-frozen-fs"],
    ["selftest-lockdep", "linux-6.12-lockdep-abba-module.console.log", "reproduced", "abba-cycle"],
    ["selftest-lockdep", "linux-6.12-lockdep-abba-module.dmesg.log", "reproduced", "abba-cycle"],
    // Report 004's scenario: clean on the stock kernel's log, its WARNING on the known-bad kernel's.
    ["nfs-localio-xfs-enospc", "linux-6.12-lockdep-localio-enospc-clean.console.log", "clean"],
    ["nfs-localio-xfs-enospc", "linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log", "reproduced", "localio-write-flushes-xfs-sync-from-reclaim-workqueue"],
    // The canary without its freeze must not take the hung-task log for clean.
    ["selftest-clean", "debian-6.1-fsfreeze-hung-task.console.log", "unexpected"],
  ];
  for (const [scenario, log, verdict, matched] of cases) {
    it(`${scenario} on ${log}: ${verdict}`, async () => {
      const j = await verdictOf(scenario, log);
      expect(j.verdict, j.match?.summary).toBe(verdict);
      if (matched) expect(j.match?.matched.map((m) => m.expectation)).toContain(matched);
    });
  }
});
