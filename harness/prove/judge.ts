/**
 * A proof's verdict from its attempts. Pure: no I/O.
 *
 * Passes when the known-bad kernel reproduced every named signature in at least `needed`
 * attempts, and every control and stock attempt was `clean`. An attempt that could not be judged
 * (`infra`, `skipped`) proves nothing either way: when the remaining attempts cannot decide, the
 * proof is `infra` (exit 3), never a pass.
 */
import { wilson } from "../results/index.ts";

export type Role = "stock" | "control" | "known-bad";

export type ProofStatus = "proven" | "failed" | "infra" | "best-effort" | "unavailable";

/** What prove needs to know about one attempt. */
export interface AttemptOutcome {
  verdict: "reproduced" | "clean" | "unexpected" | "infra" | "skipped";
  /** names of the expected signatures that matched a report */
  matched: string[];
  durationMs: number;
  reason?: string;
  dir?: string;
}

export interface RoleTally {
  role: Role;
  /** attempts that count as a success for this role: known-bad reproduced the named signatures; control/stock clean */
  ok: number;
  /** attempts that were judged (not infra, not skipped) */
  judged: number;
  attempts: number;
  /** Wilson 95% interval of the success rate over judged attempts */
  rate: { k: number; n: number; p: number; low: number; high: number };
  /** mean minutes per attempt (all attempts, infra included: what the budget pays) */
  minutesPerAttempt: number;
}

export function attemptSucceeded(role: Role, a: AttemptOutcome, signatures: string[]): boolean {
  if (role === "known-bad") return a.verdict === "reproduced" && signatures.every((s) => a.matched.includes(s));
  return a.verdict === "clean";
}

const judgedVerdict = (a: AttemptOutcome) => a.verdict !== "infra" && a.verdict !== "skipped";

export function tally(role: Role, attempts: AttemptOutcome[], signatures: string[]): RoleTally {
  const judged = attempts.filter(judgedVerdict);
  const ok = judged.filter((a) => attemptSucceeded(role, a, signatures)).length;
  const total = attempts.reduce((s, a) => s + a.durationMs, 0);
  return {
    role,
    ok,
    judged: judged.length,
    attempts: attempts.length,
    rate: { k: ok, n: judged.length, ...wilson(ok, judged.length) },
    minutesPerAttempt: attempts.length ? total / attempts.length / 60_000 : 0,
  };
}

export interface ProofInput {
  needed: number;
  /** the known-bad kernel is not expected to reproduce within the budget */
  bestEffort: boolean;
  knownBad: RoleTally;
  control: RoleTally;
  /** absent when the control kernel is the stock kernel (no injection patches): the control attempts are the stock runs */
  stock?: RoleTally;
}

export function judgeProof(p: ProofInput): { status: ProofStatus; reasons: string[] } {
  const fails: string[] = [];
  const undecided: string[] = [];
  for (const t of [p.control, ...(p.stock ? [p.stock] : [])]) {
    const bad = t.judged - t.ok;
    if (bad > 0) fails.push(`${t.role}: ${bad} of ${t.judged} judged attempt(s) not clean`);
    if (t.judged < t.attempts) undecided.push(`${t.role}: ${t.attempts - t.judged} attempt(s) could not be judged`);
  }
  const kb = p.knownBad;
  const kbUnjudged = kb.attempts - kb.judged;
  let kbMissed: string | undefined;
  if (kb.ok < p.needed) {
    if (kb.ok + kbUnjudged >= p.needed) undecided.push(`known-bad: ${kb.ok} of ${p.needed} needed reproductions, ${kbUnjudged} attempt(s) could not be judged`);
    else kbMissed = `known-bad: reproduced the named signatures in ${kb.ok} of ${kb.attempts} attempt(s), ${p.needed} needed`;
  }
  if (kbMissed && !p.bestEffort) fails.push(kbMissed);
  if (fails.length) return { status: "failed", reasons: [...fails, ...undecided] };
  if (undecided.length) return { status: "infra", reasons: undecided };
  if (kbMissed) return { status: "best-effort", reasons: [`${kbMissed} (best effort: not expected within the budget)`] };
  return { status: "proven", reasons: [] };
}

/**
 * Exit code over scenarios (their `scenarioStatus`), as `hangar run`: any scenario not proven 1,
 * else any infra 3, else 0. Unavailable or best-effort kernels alone prove nothing.
 */
export function proveExitCode(statuses: ProofStatus[]): number {
  if (statuses.some((s) => s === "failed" || s === "unavailable" || s === "best-effort")) return 1;
  if (statuses.some((s) => s === "infra")) return 3;
  return 0;
}

/** A scenario's status over its known-bad kernels: proven when at least one is proven and none failed. */
export function scenarioStatus(statuses: ProofStatus[]): ProofStatus {
  if (statuses.includes("failed")) return "failed";
  if (statuses.includes("infra")) return "infra";
  if (statuses.includes("proven")) return "proven";
  if (statuses.includes("best-effort")) return "best-effort";
  return "unavailable";
}
