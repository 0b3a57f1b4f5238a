/**
 * The attempt as a list of phases. Each phase returns a typed outcome; which phases run
 * depends only on the outcomes before them (phases/index.ts), and the verdict depends only on
 * the outcomes, the reports and the expectations (judge.ts).
 */
export const PHASES = [
  "preflight",
  "boot",
  "detectors",
  "storage",
  "setup",
  "pressure",
  "workload",
  "evidence",
  "cooldown",
  "storage-down",
  "collect",
  "teardown",
] as const;

export type PhaseName = (typeof PHASES)[number];

/**
 * - ok: done.
 * - skipped: the kernel cannot serve the scenario (a missing option or test module): the attempt is `skipped`.
 * - failed: hangar, the host or the guest failed at something that should have worked: `infra` unless reports decide.
 * - stuck: a step did not finish within its timeout (blocked tasks were dumped).
 * - aborted: the watchdog tripped (deadline, unresponsive guest, QEMU gone) or the run was interrupted.
 * - unproven: the phase ran but could not show what it had to (pressure asked for, none measured).
 * - not-run: an earlier outcome ruled this phase out.
 */
export type PhaseStatus = "ok" | "skipped" | "failed" | "stuck" | "aborted" | "unproven" | "not-run";

export interface PhaseOutcome {
  phase: PhaseName;
  status: PhaseStatus;
  reason?: string;
  ms: number;
}

/** What a phase's body returns: nothing for `ok`, or another status with its reason. */
export type PhaseResult = void | { status: Exclude<PhaseStatus, "ok" | "not-run">; reason: string };
