import { describe, expect, it } from "vitest";
import { parseReports } from "../../../harness/detect/index.ts";
import { judge, type PhaseOutcome } from "../../../harness/run/index.ts";
import { expectationsSchema } from "../../../harness/match/index.ts";
import { FLUSH_WARNING, HUNG_TASK } from "../../fake/reports.ts";

const hung = parseReports(HUNG_TASK.join("\n"));
const warning = parseReports(FLUSH_WARNING.join("\n"));
const expectHung = expectationsSchema.parse({ signatures: [{ name: "frozen-writer", kind: "hung-task", frames: ["percpu_rwsem_wait"] }] });
const ok = (phase: PhaseOutcome["phase"]): PhaseOutcome => ({ phase, status: "ok", ms: 1 });
const bad = (phase: PhaseOutcome["phase"], status: PhaseOutcome["status"], reason: string): PhaseOutcome => ({ phase, status, reason, ms: 1 });
const allOk = [ok("preflight"), ok("boot"), ok("detectors"), ok("workload"), ok("cooldown"), ok("collect"), ok("teardown")];

describe("judge", () => {
  it("has real reports to judge", () => {
    expect(hung).toHaveLength(1);
    expect(warning).toHaveLength(1);
  });

  const cases: { name: string; outcomes: PhaseOutcome[]; reports: typeof hung; verdict: string; reason?: RegExp }[] = [
    { name: "no report, every phase ok → clean", outcomes: allOk, reports: [], verdict: "clean" },
    { name: "the expected report → reproduced", outcomes: allOk, reports: hung, verdict: "reproduced" },
    { name: "another report → unexpected", outcomes: allOk, reports: warning, verdict: "unexpected" },
    { name: "expected plus another → reproduced (the other is an extra)", outcomes: allOk, reports: [...hung, ...warning], verdict: "reproduced" },
    { name: "a skipped phase → skipped, whatever else", outcomes: [bad("preflight", "skipped", "kernel X lacks CONFIG_PROVE_LOCKING")], reports: hung, verdict: "skipped", reason: /lacks CONFIG_PROVE_LOCKING/ },
    { name: "a boot that failed, no report → infra with its reason", outcomes: [ok("preflight"), bad("boot", "failed", "QEMU exited at start")], reports: [], verdict: "infra", reason: /^boot failed: QEMU exited at start$/ },
    { name: "a boot that never finished, whatever the console shows → infra naming the crash", outcomes: [ok("preflight"), bad("boot", "aborted", "the machine exited (code 0)")], reports: warning, verdict: "infra", reason: /^boot aborted: the machine exited.*console shows: WARNING in check_flush_dependency/ },
    { name: "a failed phase after boot, no report → infra with its reason", outcomes: [ok("preflight"), ok("boot"), bad("storage", "failed", "storage layer x failed")], reports: [], verdict: "infra", reason: /^storage layer x failed$/ },
    { name: "an aborted phase (watchdog), no report → infra", outcomes: [ok("boot"), bad("workload", "aborted", "attempt deadline passed")], reports: [], verdict: "infra", reason: /deadline/ },
    { name: "a stuck step, no report → infra", outcomes: [ok("boot"), bad("workload", "stuck", 'step "w" did not finish within 5 s')], reports: [], verdict: "infra", reason: /did not finish/ },
    { name: "pressure unproven, no report → infra", outcomes: [ok("boot"), bad("evidence", "unproven", "pressure was asked for but none was measured")], reports: [], verdict: "infra", reason: /pressure/ },
    { name: "a stuck step with the expected report → reproduced, the trouble kept as reason", outcomes: [ok("boot"), bad("workload", "stuck", 'step "w" did not finish')], reports: hung, verdict: "reproduced", reason: /did not finish.*after kernel reports were found/ },
    { name: "an aborted attempt with another report → unexpected, the trouble kept", outcomes: [ok("boot"), bad("workload", "aborted", "guest unresponsive")], reports: warning, verdict: "unexpected", reason: /unresponsive.*after kernel reports/ },
    { name: "the first trouble is the reason", outcomes: [bad("workload", "stuck", "first"), bad("storage-down", "failed", "second")], reports: [], verdict: "infra", reason: /^first$/ },
    { name: "not-run phases are no trouble", outcomes: [...allOk, { phase: "storage-down", status: "not-run", ms: 0 }], reports: [], verdict: "clean" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const j = judge(c.outcomes, c.reports, expectHung);
      expect(j.verdict).toBe(c.verdict);
      if (c.reason) expect(j.reason).toMatch(c.reason);
      else expect(j.reason).toBeUndefined();
    });
  }

  it("a forbidden report makes it unexpected even when the expected one is there", () => {
    const exp = expectationsSchema.parse({ signatures: expectHung.signatures, forbid: [{ name: "no-flush-warning", kind: "warning" }] });
    expect(judge(allOk, [...hung, ...warning], exp).verdict).toBe("unexpected");
  });
});
