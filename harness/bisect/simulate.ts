/**
 * A seeded, pure simulation of a bisection: synthetic commits, one culprit, untestable commits,
 * unrelated kernel reports. It drives any policy the same way the real driver does (runs in
 * groups of `jobs`, stopping after the asked hits), so the benchmark and the unit tests measure
 * the code `hangar bisect` runs.
 */
import { emptyCounts, type CommitCounts, type Decision, type Policy } from "./policy-types.ts";
import { seededRandom } from "./stats.ts";

export interface SimConfig {
  /** Positions 1..commits (0 is the good endpoint). */
  commits: number;
  /** Chance that one run of a bad commit shows the target signature. */
  p: number;
  /** Share of commits that do not build (never the culprit or its parent, so the answer is identifiable). */
  untestableRate: number;
  /** Chance per run of an unrelated kernel report, on any commit. */
  noiseRate: number;
  /** Runs of one commit at once (the real driver's -j). */
  jobs: number;
}

export const DEFAULT_SIM: SimConfig = { commits: 1024, p: 0.3, untestableRate: 0.05, noiseRate: 0.05, jobs: 1 };

export interface TrialResult {
  culprit: number;
  decision: Decision;
  right: boolean;
  runs: number;
  builds: number;
}

export function simulateTrial(policy: Policy, cfg: SimConfig, seed: number, culpritAt?: number): TrialResult {
  const rng = seededRandom(seed);
  const n = cfg.commits;
  const culprit = culpritAt ?? 1 + Math.floor(rng() * n);
  const commits: CommitCounts[] = Array.from({ length: n + 1 }, emptyCounts);
  const broken = new Uint8Array(n + 1);
  for (let j = 1; j < n; j++) if (j !== culprit && j !== culprit - 1 && rng() < cfg.untestableRate) broken[j] = 1;
  let runs = 0;
  let builds = 0;
  const state = { commits };
  for (let guard = 0; guard < 1_000_000; guard++) {
    const next = policy.next(state);
    if (next.kind === "done") {
      const d = next.decision;
      return { culprit, decision: d, right: d.kind === "culprit" && d.index === culprit, runs, builds };
    }
    const c = commits[next.index]!;
    if (!c.built) {
      builds++;
      c.built = true;
      if (broken[next.index]) {
        c.untestable = "build failed";
        continue;
      }
    }
    let newHits = 0;
    let done = 0;
    while (done < next.runs) {
      const group = Math.min(cfg.jobs, next.runs - done);
      for (let k = 0; k < group; k++) {
        const hit = next.index >= culprit && rng() < cfg.p;
        const noise = rng() < cfg.noiseRate;
        c.runs++;
        runs++;
        if (hit) {
          c.hits++;
          newHits++;
        } else if (noise) c.noise++;
      }
      done += group;
      if (next.stopAfterHits !== undefined && newHits >= next.stopAfterHits) break;
    }
  }
  throw new Error(`simulation of ${policy.name} did not finish`);
}

export interface SimSummary {
  accuracy: number;
  meanRuns: number;
  meanBuilds: number;
  trials: number;
}

/** `trials` bisections with seeds seed, seed+1, …: the share that named the culprit, mean runs and builds. */
export function simulate(policy: Policy, cfg: SimConfig, trials: number, seed = 1): SimSummary {
  let right = 0;
  let runs = 0;
  let builds = 0;
  for (let t = 0; t < trials; t++) {
    const r = simulateTrial(policy, cfg, seed + t * 7919);
    if (r.right) right++;
    runs += r.runs;
    builds += r.builds;
  }
  return { accuracy: right / trials, meanRuns: runs / trials, meanBuilds: builds / trials, trials };
}
