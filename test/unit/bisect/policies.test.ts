/**
 * The pure policies against the seeded simulator (harness/bisect/simulate.ts, the same code the
 * benchmark runs), and their contract: same counts, same answer; endpoints first; untestable
 * commits are skips; a culprit that cannot be isolated is a range.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY_OPTIONS, DEFAULT_SIM, makePolicy, simulate, simulateTrial, type CommitCounts } from "../../../harness/bisect/index.ts";
import { cumulative, massOf, posterior } from "../../../harness/bisect/posterior.ts";
import { cleanRunsFor } from "../../../harness/bisect/step.ts";
import { logGamma, missChance, runsForConfidence, zChannelSplit } from "../../../harness/bisect/stats.ts";

const counts = (over: Partial<CommitCounts> = {}): CommitCounts => ({ runs: 0, hits: 0, noise: 0, infra: 0, ...over });
const line = (n: number, set: Record<number, Partial<CommitCounts>> = {}) => Array.from({ length: n + 1 }, (_, i) => counts(set[i]));
const o = DEFAULT_POLICY_OPTIONS;

describe("statistics", () => {
  it("logGamma matches known values", () => {
    expect(logGamma(1)).toBeCloseTo(0, 10);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 8);
  });

  it("runs for a confidence: the textbook n = ln(1-c)/ln(1-p) when p is well known, more when it is not", () => {
    const known = { a: 3000, b: 7000 }; // p = 0.3, tightly
    expect(runsForConfidence(known, 0.95)).toBe(cleanRunsFor(0.3, 0.95));
    expect(cleanRunsFor(0.3, 0.95)).toBe(9);
    expect(cleanRunsFor(0.1, 0.99)).toBe(44);
    const vague = { a: 4, b: 8 }; // 3 hits in 10 runs
    expect(runsForConfidence(vague, 0.95)).toBeGreaterThan(9);
    expect(missChance(vague, runsForConfidence(vague, 0.95))).toBeLessThanOrEqual(0.05);
  });

  it("the Z-channel split: one half for a perfect test, below for a noisy one", () => {
    expect(zChannelSplit(1)).toBe(0.5);
    expect(zChannelSplit(0.9)).toBeGreaterThan(0.44);
    expect(zChannelSplit(0.3)).toBeCloseTo(0.385, 2);
    expect(zChannelSplit(0.1)).toBeGreaterThan(0.36);
    expect(zChannelSplit(0.1)).toBeLessThan(0.38);
  });
});

describe("posterior over culprit positions", () => {
  it("a hit rules out every later position; clean runs push mass up", () => {
    const s = { commits: line(8, { 4: { runs: 1, hits: 1 }, 8: { runs: 5, hits: 3 } }) };
    const post = posterior(s);
    expect(massOf(post, 5, 8)).toBe(0);
    expect(cumulative(post, 4)).toBeCloseTo(1, 12);
    const cleanAt2 = posterior({ commits: line(8, { 2: { runs: 10 }, 4: { runs: 1, hits: 1 }, 8: { runs: 5, hits: 3 } }) });
    expect(massOf(cleanAt2, 3, 4)).toBeGreaterThan(massOf(post, 3, 4));
    expect(massOf(cleanAt2, 1, 4)).toBeCloseTo(1, 12);
  });
});

describe("policies are pure functions of the counts", () => {
  for (const name of ["repeat", "bayes", "auto", "syzkaller", "single"] as const) {
    it(`${name}: same counts, same answer, counts untouched`, () => {
      const commits = line(64, { 64: { runs: 10, hits: 4 }, 0: { runs: 12 }, 32: { runs: 3 }, 48: { runs: 2, hits: 1 } });
      const copy = JSON.stringify(commits);
      const p = makePolicy(name, o);
      expect(p.next({ commits })).toEqual(p.next({ commits }));
      expect(JSON.stringify(commits)).toBe(copy);
    });
  }
});

describe("endpoints first", () => {
  for (const name of ["repeat", "bayes"] as const) {
    it(`${name}: calibrates on the bad endpoint, then checks the good one`, () => {
      const p = makePolicy(name, o);
      const first = p.next({ commits: line(100) });
      expect(first).toMatchObject({ kind: "test", index: 100, stopAfterHits: o.calibrationHits });
      const second = p.next({ commits: line(100, { 100: { runs: 9, hits: 3 } }) });
      expect(second).toMatchObject({ kind: "test", index: 0, stopAfterHits: 1 });
    });

    it(`${name}: a bad endpoint that never reproduces, or a good one that does, stops the bisect`, () => {
      const p = makePolicy(name, o);
      expect(p.next({ commits: line(100, { 100: { runs: o.calibrationRuns } }) })).toEqual({ kind: "done", decision: { kind: "bad-endpoint-clean", runs: o.calibrationRuns } });
      expect(p.next({ commits: line(100, { 100: { runs: 9, hits: 3 }, 0: { runs: 2, hits: 1 } }) })).toMatchObject({ kind: "done", decision: { kind: "good-endpoint-reproduces" } });
      expect(p.next({ commits: line(100, { 100: { untestable: "build failed" } }) })).toMatchObject({ kind: "done", decision: { kind: "endpoint-untestable", which: "bad" } });
    });
  }
});

describe("untestable commits", () => {
  it("repeat walks around a commit that does not build, and reports a range when it sits next to the culprit", () => {
    const p = makePolicy("repeat", o);
    const base = { 8: { runs: 10, hits: 9 }, 0: { runs: 10 } };
    const n1 = p.next({ commits: line(8, { ...base, 4: { untestable: "build failed" } }) });
    expect(n1.kind === "test" && n1.index).not.toBe(4);
    // 3 good, 4 untestable, 5 bad: the culprit is 4 or 5.
    const r = p.next({ commits: line(8, { ...base, 3: { runs: 40 }, 4: { untestable: "build failed" }, 5: { runs: 1, hits: 1 }, 6: { runs: 1, hits: 1 } }) });
    expect(r).toMatchObject({ kind: "done", decision: { kind: "range", first: 4, last: 5 } });
  });

  it("infrastructure failures make a commit untestable only when they dominate", () => {
    const p = makePolicy("repeat", o);
    const r = p.next({ commits: line(2, { 2: { runs: 10, hits: 9 }, 0: { runs: 10 }, 1: { infra: 3, runs: 0 } }) });
    expect(r).toMatchObject({ kind: "done", decision: { kind: "range", first: 1, last: 2 } });
  });
});

describe("policies against the seeded simulator", { timeout: 120_000 }, () => {
  const cfg = { ...DEFAULT_SIM, commits: 256 };
  for (const [name, p, min] of [
    ["repeat", 0.5, 0.95],
    ["bayes", 0.5, 0.93],
    ["repeat", 0.2, 0.93],
    ["bayes", 0.2, 0.9],
  ] as const) {
    it(`${name} at p = ${p}: names the culprit in at least ${min * 100}% of 200 seeded trials`, () => {
      const r = simulate(makePolicy(name, o), { ...cfg, p }, 200, 11);
      expect(r.accuracy).toBeGreaterThanOrEqual(min);
    });
  }

  it("bayes spends fewer runs than repeat; both far fewer than syzkaller's rule, which noise misleads", () => {
    const c = { ...cfg, p: 0.3 };
    const bayes = simulate(makePolicy("bayes", o), c, 150, 5);
    const repeat = simulate(makePolicy("repeat", o), c, 150, 5);
    const syz = simulate(makePolicy("syzkaller", o), c, 150, 5);
    expect(bayes.meanRuns).toBeLessThan(repeat.meanRuns);
    expect(bayes.meanRuns).toBeLessThan(0.6 * syz.meanRuns);
    expect(syz.accuracy).toBeLessThan(0.5);
    expect(bayes.accuracy).toBeGreaterThan(0.9);
  });

  it("the simulation is deterministic for a seed", () => {
    const a = simulateTrial(makePolicy("bayes", o), { ...cfg, p: 0.3 }, 42);
    const b = simulateTrial(makePolicy("bayes", o), { ...cfg, p: 0.3 }, 42);
    expect(a).toEqual(b);
  });

  it("-j 4: runs come in groups, so more runs and the same accuracy", () => {
    const one = simulate(makePolicy("repeat", o), { ...cfg, p: 0.5 }, 100, 3);
    const four = simulate(makePolicy("repeat", { ...o, jobs: 4 }), { ...cfg, p: 0.5, jobs: 4 }, 100, 3);
    expect(four.meanRuns).toBeGreaterThanOrEqual(one.meanRuns);
    expect(four.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
