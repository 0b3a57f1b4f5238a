import { describe, expect, it } from "vitest";
import { scenarioSchema, type Scenario } from "../../../harness/config/index.ts";
import { exitCodeFor, summarizeScenario, type AttemptResult } from "../../../harness/run/index.ts";
import type { AttemptVerdict } from "../../../harness/results/index.ts";

const sc = (outcome: "reproduced" | "clean"): Scenario => ({
  ...scenarioSchema.parse({
    name: "s",
    steps: [{ name: "x", run: "true" }],
    expect: { outcome, signatures: outcome === "reproduced" ? [{ name: "h", kind: "hung-task" }] : [] },
  }),
  file: "s.yaml",
});

const attempts = (...v: AttemptVerdict[]): AttemptResult[] =>
  v.map((verdict, i) => ({ scenario: "s", attempt: i + 1, verdict, dir: `/r/${i}`, reports: [], steps: [], storage: [], phases: [], startedAt: "", durationMs: 1 }));

describe("scenario outcome", () => {
  it("reproduced expectation: met when any attempt reproduced; rate over judged attempts", () => {
    const s = summarizeScenario(sc("reproduced"), attempts("clean", "reproduced", "infra", "clean"), 10);
    expect(s.outcome).toBe("reproduced");
    expect(s.met).toBe(true);
    expect(s.rate).toMatchObject({ k: 1, n: 3 });
    expect(s.rate!.low).toBeGreaterThan(0);
    expect(s.rate!.high).toBeLessThan(1);
  });

  it("reproduced expectation: not met when nothing reproduced", () => {
    const s = summarizeScenario(sc("reproduced"), attempts("clean", "clean"), 10);
    expect(s.outcome).toBe("clean");
    expect(s.met).toBe(false);
    expect(s.reason).toMatch(/no attempt reproduced/);
  });

  it("clean expectation: any report or infra attempt breaks it", () => {
    expect(summarizeScenario(sc("clean"), attempts("clean", "clean"), 1).met).toBe(true);
    expect(summarizeScenario(sc("clean"), attempts("clean", "unexpected"), 1)).toMatchObject({ outcome: "unexpected", met: false });
    expect(summarizeScenario(sc("clean"), attempts("clean", "infra"), 1).met).toBe(false);
  });

  it("all-infra is infra; skipped is skipped and does not fail the run", () => {
    const infra = summarizeScenario(sc("clean"), attempts("infra"), 1);
    expect(infra.outcome).toBe("infra");
    const skipped = summarizeScenario(sc("reproduced"), attempts("skipped"), 1);
    expect(skipped).toMatchObject({ outcome: "skipped", met: true });
  });

  it("exit codes: 0 all met, 1 any not met, 3 infra when nothing else failed", () => {
    const ok = summarizeScenario(sc("clean"), attempts("clean"), 1);
    const bad = summarizeScenario(sc("clean"), attempts("unexpected"), 1);
    const inf = summarizeScenario(sc("clean"), attempts("infra"), 1);
    expect(exitCodeFor([ok])).toBe(0);
    expect(exitCodeFor([ok, bad, inf])).toBe(1);
    expect(exitCodeFor([ok, inf])).toBe(3);
  });
});
