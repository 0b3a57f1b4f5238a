/**
 * judge(outcomes, reports, expectations) → verdict. Pure: the one place where an attempt's
 * verdict and its reason are decided (README: "From reports to a verdict").
 *
 * - A `skipped` phase (the kernel lacks an option or module) makes the attempt `skipped`.
 * - A machine that never came up is `infra`, whatever the console shows (a boot-time panic is
 *   a boot failure, as syzkaller and bisect treat it, not a finding of the scenario).
 * - Otherwise reports decide when there are any: `reproduced` (an expected signature matched)
 *   or `unexpected`; trouble along the way is kept as the reason.
 * - With no report, trouble (a failed, stuck, aborted or unproven phase) makes it `infra`;
 *   without trouble it is `clean`.
 */
import type { Report } from "../detect/index.ts";
import { matchReports, type Expectations, type MatchResult } from "../match/index.ts";
import type { AttemptVerdict } from "../results/index.ts";
import type { PhaseOutcome } from "./phases/types.ts";

export interface Judgement {
  verdict: AttemptVerdict;
  reason?: string;
  match?: MatchResult;
}

const TROUBLE = new Set(["failed", "aborted", "stuck", "unproven"]);

/** ` (the console shows: TITLE; TITLE)` for the reports of a machine that did not come up, or "". */
export function consoleShows(reports: readonly Report[]): string {
  return reports.length ? ` (the console shows: ${reports.map((r) => r.title).join("; ")})` : "";
}

/** The boot phase's outcome when it ran and did not succeed: the machine never came up. */
export function failedBoot(outcomes: readonly PhaseOutcome[]): PhaseOutcome | undefined {
  const boot = outcomes.find((o) => o.phase === "boot");
  return boot && boot.status !== "ok" && boot.status !== "not-run" ? boot : undefined;
}

export function judge(outcomes: readonly PhaseOutcome[], reports: readonly Report[], expect: Expectations): Judgement {
  const skipped = outcomes.find((o) => o.status === "skipped");
  if (skipped) return { verdict: "skipped", reason: skipped.reason ?? `${skipped.phase} skipped` };
  const boot = failedBoot(outcomes);
  if (boot) {
    return { verdict: "infra", reason: `boot ${boot.status}: ${boot.reason ?? "?"}${consoleShows(reports)}` };
  }
  const match = matchReports([...reports], expect);
  const trouble = outcomes.find((o) => TROUBLE.has(o.status));
  const why = trouble && (trouble.reason ?? `${trouble.phase} ${trouble.status}`);
  if (match.verdict === "clean") return why ? { verdict: "infra", reason: why, match } : { verdict: "clean", match };
  return { verdict: match.verdict, ...(why ? { reason: `${why} (after kernel reports were found)` } : {}), match };
}
