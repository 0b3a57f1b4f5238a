/**
 * Baselines for the simulation benchmark only (not offered by `hangar bisect`):
 *
 * - `syzkaller`: syzkaller's pkg/bisect rule as of 2024-2026 (see the research note, part 1.2):
 *   10 runs a commit, 20 on the first test and on every test once the bug is flaky (a bad
 *   verdict with crash ratio < 0.5); GOOD iff no crash, BAD iff crashes >= max(2, runs/6),
 *   otherwise SKIP (so one crash alone is a skip). Like syzkaller it counts every crash, the
 *   unrelated ones too, and walks git's way: the commit nearest the middle that is not skipped.
 *   The good endpoint gets one test; BAD there ends the bisect, SKIP goes on (syzkaller would try
 *   older releases until one is GOOD: those extra runs are not charged, so its cost is a lower bound).
 * - `single`: `git bisect run` with one run a commit and any kernel report counting as bad
 *   (what a plain script, or ktest.pl with BISECT_TRIES=1, does); endpoints trusted, not tested.
 */
import { nearestTestable } from "./line.ts";
import type { BisectState, CommitCounts, Decision, Next, Policy } from "./policy-types.ts";

const crashes = (c: CommitCounts) => c.hits + c.noise;

function verdict(c: CommitCounts): "good" | "bad" | "skip" {
  const k = crashes(c);
  if (k === 0) return "good";
  if (k >= Math.max(2, Math.floor(c.runs / 6))) return "bad";
  return "skip";
}

function end(lo: number, hi: number): Next {
  const decision: Decision = hi === lo + 1 ? { kind: "culprit", index: hi, confidence: NaN } : { kind: "range", first: lo + 1, last: hi, confidence: NaN };
  return { kind: "done", decision };
}

export function syzkallerPolicy(): Policy {
  return {
    name: "syzkaller",
    next(s: BisectState): Next {
      const n = s.commits.length - 1;
      const bad = s.commits[n]!;
      if (bad.runs < 20) return { kind: "test", index: n, runs: 20 - bad.runs, why: "syzkaller: first test, 20 runs" };
      if (verdict(bad) !== "bad") return { kind: "done", decision: { kind: "bad-endpoint-clean", runs: bad.runs } };
      let flaky = crashes(bad) / bad.runs < 0.5;
      const good = s.commits[0]!;
      const per = () => (flaky ? 20 : 10);
      if (good.runs === 0) return { kind: "test", index: 0, runs: per(), why: "syzkaller: good endpoint" };
      // syzkaller looks for a good release and goes on to older ones after a SKIP; the sim has one
      // good endpoint, so a SKIP there proceeds (its retries at older releases are not charged).
      if (verdict(good) === "bad") return { kind: "done", decision: { kind: "good-endpoint-reproduces", hits: crashes(good), runs: good.runs } };
      let lo = 0;
      let hi = n;
      const skipped = new Set<number>();
      for (;;) {
        const mid = nearestTestable(s, lo, hi, (lo + hi) / 2, (j) => skipped.has(j));
        if (mid === undefined) return end(lo, hi);
        const c = s.commits[mid]!;
        if (c.runs === 0) return { kind: "test", index: mid, runs: per(), why: `syzkaller: ${per()} runs` };
        const v = verdict(c);
        if (v === "good") lo = mid;
        else if (v === "bad") {
          hi = mid;
          if (crashes(c) / c.runs < 0.5) flaky = true;
        } else skipped.add(mid);
      }
    },
  };
}

export function singleRunPolicy(): Policy {
  return {
    name: "single",
    next(s: BisectState): Next {
      const n = s.commits.length - 1;
      let lo = 0;
      let hi = n;
      for (;;) {
        const mid = nearestTestable(s, lo, hi, (lo + hi) / 2);
        if (mid === undefined) return end(lo, hi);
        const c = s.commits[mid]!;
        if (c.runs === 0) return { kind: "test", index: mid, runs: 1, why: "single: one run" };
        if (crashes(c) > 0) hi = mid;
        else lo = mid;
      }
    },
  };
}
