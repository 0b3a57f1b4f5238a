/**
 * What a bisection policy sees and says. Policies are pure functions of counts: the driver
 * (git, kernel builds, machines) and the simulator feed them the same state, so a policy is
 * tested in milliseconds and a resumed bisect asks exactly what the interrupted one would.
 *
 * Positions: the commits under test form a line 0..n (the first-parent line of a git range,
 * or one merged branch). 0 is the good endpoint, n the bad endpoint. The culprit is the first
 * bad position, somewhere in 1..n: commits before it are good (they never show the target
 * signature), it and every later one are bad (each run shows the signature with an unknown
 * probability p).
 */

export interface CommitCounts {
  /** Runs that gave a verdict on the target signature (hit or clean). */
  runs: number;
  /** Runs where a report matched the target signature. */
  hits: number;
  /** Runs with other kernel reports and no target hit: recorded, never a verdict. */
  noise: number;
  /** Runs lost to infrastructure (boot, SSH, deadline): skips, never verdicts. */
  infra: number;
  /** Set when the commit cannot be tested (build failure, missing kernel options, repeated infra failures). */
  untestable?: string;
  /** A kernel was built (or found cached) for it. */
  built?: boolean;
}

export interface BisectState {
  /** Counts for positions 0..n (index 0: good endpoint; last: bad endpoint). */
  commits: readonly CommitCounts[];
  /** The good endpoint is known good without runs (an ancestor of a tested good commit). */
  goodKnown?: boolean;
  /** The bad endpoint is already proven bad (a hit recorded at an outer level). */
  badKnown?: boolean;
  /** Beta evidence about p from commits outside this line (proven bad at other levels). */
  pEvidence?: { hits: number; misses: number };
}

export interface PolicyOptions {
  /** Stop when the culprit (or smallest candidate range) holds this posterior mass. */
  confidence: number;
  /** Machines that run attempts of one commit at once. */
  jobs: number;
  /** Give up (with the best guess so far) after this many runs. */
  maxRuns: number;
  /** Bad endpoint: run until the target signature was seen this many times… */
  calibrationHits: number;
  /** …or this many runs were spent. */
  calibrationRuns: number;
  /** Good endpoint: clean runs until a bad commit would have shown a hit with this probability. */
  endpointConfidence: number;
}

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = {
  confidence: 0.95,
  jobs: 1,
  maxRuns: 5_000,
  calibrationHits: 3,
  calibrationRuns: 60,
  endpointConfidence: 0.9,
};

export type Decision =
  | { kind: "culprit"; index: number; confidence: number }
  /** The culprit is one of first..last (the commits between could not be tested). */
  | { kind: "range"; first: number; last: number; confidence: number }
  | { kind: "bad-endpoint-clean"; runs: number }
  | { kind: "good-endpoint-reproduces"; hits: number; runs: number }
  | { kind: "endpoint-untestable"; which: "good" | "bad"; reason: string }
  /** maxRuns spent: the most likely position and its mass. */
  | { kind: "budget"; index: number; confidence: number };

export type Next =
  | {
      kind: "test";
      index: number;
      /** How many more runs of this commit. */
      runs: number;
      /** Stop launching runs once this many new hits were seen (undefined: run them all). */
      stopAfterHits?: number;
      why: string;
    }
  | { kind: "done"; decision: Decision };

export interface Policy {
  name: string;
  next(state: BisectState): Next;
}

/** Untestable: told so, or infrastructure failed at least 3 times and more often than it gave verdicts. */
export function isUntestable(c: CommitCounts | undefined): boolean {
  return !!c && (!!c.untestable || (c.infra >= 3 && c.infra > c.runs));
}

export function totalRuns(s: BisectState): number {
  let n = 0;
  for (const c of s.commits) n += c.runs;
  return n;
}

export function emptyCounts(): CommitCounts {
  return { runs: 0, hits: 0, noise: 0, infra: 0 };
}
