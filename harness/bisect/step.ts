/**
 * `hangar bisect-step` for `git bisect run`: the verdict of one commit, and its exit code.
 *
 * git reads 0 as good, 125 as skip, 1..127 (but 125) as bad, and 128..255 as "abort the
 * bisect". 126 and 127 are what a shell returns for "not executable" / "not found", and git
 * reads them as bad: hangar never uses them. Its own failures (bad arguments, a broken host,
 * Ctrl-C) are 128+, so git stops instead of marking the commit. Pure.
 */
import { HangarError, EXIT } from "../common/index.ts";
import { isUntestable, type CommitCounts } from "./policy-types.ts";

export const STEP_EXIT = {
  good: 0,
  bad: 1,
  skip: 125,
  /** Usage or configuration error (hangar's exit 2). */
  usage: 128,
  /** hangar's own infrastructure failed (host tools, the image, an unexpected error). */
  hangar: 129,
  /** Interrupted (Ctrl-C): 128 + SIGINT. */
  interrupted: 130,
} as const;

export type StepVerdict = "good" | "bad" | "skip" | "more";

/** After these counts: bad at the first hit, good after `cleanRuns` clean runs, skip when untestable. */
export function stepVerdict(c: CommitCounts, cleanRuns: number): StepVerdict {
  if (c.hits > 0) return "bad";
  if (isUntestable(c)) return "skip";
  if (c.runs >= cleanRuns) return "good";
  return "more";
}

export function stepExitCode(v: Exclude<StepVerdict, "more">): number {
  return STEP_EXIT[v];
}

/** The exit code for a failure of hangar itself: never 1..127. */
export function stepFailureExitCode(err: unknown, interrupted = false): number {
  if (interrupted) return STEP_EXIT.interrupted;
  if (err instanceof HangarError && err.exitCode === EXIT.usage) return STEP_EXIT.usage;
  return STEP_EXIT.hangar;
}

/** Clean runs for a good verdict with confidence c when a bad commit reproduces with probability p: ceil(ln(1-c) / ln(1-p)). */
export function cleanRunsFor(p: number, c: number): number {
  if (p >= 1) return 1;
  return Math.max(1, Math.ceil(Math.log(1 - c) / Math.log(1 - p)));
}
