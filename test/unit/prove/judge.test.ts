import { describe, expect, it } from "vitest";
import { judgeProof, proveExitCode, scenarioStatus, tally, type AttemptOutcome } from "../../../harness/prove/index.ts";

const a = (verdict: AttemptOutcome["verdict"], matched: string[] = [], min = 3): AttemptOutcome => ({ verdict, matched, durationMs: min * 60_000 });
const SIG = ["flush-dep"];

function proof(bad: AttemptOutcome[], control: AttemptOutcome[], stock?: AttemptOutcome[], bestEffort = false) {
  return judgeProof({
    needed: 2,
    bestEffort,
    knownBad: tally("known-bad", bad, SIG),
    control: tally("control", control, SIG),
    ...(stock ? { stock: tally("stock", stock, SIG) } : {}),
  });
}
const clean3 = [a("clean"), a("clean"), a("clean")];

describe("judgeProof", () => {
  it("proven: 2 of 3 known-bad with the named signature, control and stock clean", () => {
    expect(proof([a("reproduced", SIG), a("clean"), a("reproduced", SIG)], clean3, [a("clean")])).toEqual({ status: "proven", reasons: [] });
  });
  it("a reproduction of another signature does not count", () => {
    const r = proof([a("reproduced", ["other"]), a("reproduced", SIG), a("clean")], clean3);
    expect(r.status).toBe("failed");
    expect(r.reasons[0]).toMatch(/1 of 3 attempt\(s\), 2 needed/);
  });
  it("a control attempt with any report fails the proof, even when known-bad reproduced", () => {
    const r = proof([a("reproduced", SIG), a("reproduced", SIG), a("reproduced", SIG)], [a("clean"), a("unexpected"), a("clean")]);
    expect(r.status).toBe("failed");
    expect(r.reasons[0]).toMatch(/control: 1 of 3/);
  });
  it("a control that reproduces the bug fails (the injection alone brings it back)", () => {
    expect(proof([a("reproduced", SIG), a("reproduced", SIG), a("reproduced", SIG)], [a("reproduced", SIG), a("clean"), a("clean")]).status).toBe("failed");
  });
  it("stock not clean fails", () => {
    expect(proof([a("reproduced", SIG), a("reproduced", SIG), a("reproduced", SIG)], clean3, [a("unexpected")]).status).toBe("failed");
  });
  it("infra attempts that could change the outcome make it infra, never a pass", () => {
    expect(proof([a("reproduced", SIG), a("infra"), a("infra")], clean3).status).toBe("infra");
    expect(proof([a("reproduced", SIG), a("reproduced", SIG), a("clean")], [a("clean"), a("infra"), a("clean")]).status).toBe("infra");
  });
  it("infra does not hide a definite failure", () => {
    expect(proof([a("clean"), a("clean"), a("infra")], clean3).status).toBe("failed");
  });
  it("best effort: a miss is reported but does not fail; a dirty control still does", () => {
    expect(proof([a("clean"), a("clean"), a("clean")], clean3, undefined, true).status).toBe("best-effort");
    expect(proof([a("clean"), a("clean"), a("clean")], [a("unexpected"), a("clean"), a("clean")], undefined, true).status).toBe("failed");
  });
  it("rates carry Wilson intervals and minutes per attempt", () => {
    const t = tally("known-bad", [a("reproduced", SIG, 2), a("reproduced", SIG, 4), a("clean", [], 6)], SIG);
    expect(t.rate.k).toBe(2);
    expect(t.rate.n).toBe(3);
    expect(t.rate.low).toBeCloseTo(0.2077, 3);
    expect(t.rate.high).toBeCloseTo(0.9385, 3);
    expect(t.minutesPerAttempt).toBeCloseTo(4);
  });
});

describe("exit codes", () => {
  it("0 all proven, 1 any failed/unavailable/best-effort-only, 3 infra", () => {
    expect(proveExitCode(["proven", "proven"])).toBe(0);
    expect(proveExitCode(["proven", "failed", "infra"])).toBe(1);
    expect(proveExitCode(["unavailable"])).toBe(1);
    expect(proveExitCode(["best-effort"])).toBe(1);
    expect(proveExitCode(["proven", "infra"])).toBe(3);
  });
  it("a scenario is proven by one proven kernel beside best-effort or unavailable ones", () => {
    expect(scenarioStatus(["best-effort", "proven"])).toBe("proven");
    expect(scenarioStatus(["unavailable", "proven"])).toBe("proven");
    expect(scenarioStatus(["proven", "failed"])).toBe("failed");
    expect(scenarioStatus(["unavailable"])).toBe("unavailable");
  });
});
