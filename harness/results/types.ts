/** Verdict of one attempt (DESIGN.md), plus `skipped` for a kernel that lacks a required option. */
export type AttemptVerdict = "reproduced" | "clean" | "unexpected" | "infra" | "skipped";

export interface ReportBrief {
  kind: string;
  title: string;
  signature: string;
  count: number;
  corrupted: boolean;
}

export interface AttemptSummary {
  attempt: number;
  verdict: AttemptVerdict;
  reason?: string;
  dir: string;
  reports: ReportBrief[];
  durationMs: number;
  bootMs?: number;
  /** Boots that failed before the attempt's machine came up, each booted afresh (see BOOT_RETRIES): why. */
  bootFailures?: string[];
  /** Memory pressure evidence of the workload phase, in one line (see pressure.json). */
  pressure?: { asked: boolean; shown: boolean; summary: string };
  /** The storage stack as built, one line per layer (see storage.json). */
  storage?: string[];
}

export interface ScenarioSummary {
  name: string;
  file: string;
  expected: "reproduced" | "clean";
  /** The scenario's overall outcome across attempts. */
  outcome: AttemptVerdict;
  met: boolean;
  reason?: string;
  attempts: AttemptSummary[];
  reproduced: number;
  /** Wilson 95% interval of the reproduction rate over non-infra, non-skipped attempts. */
  rate?: { k: number; n: number; p: number; low: number; high: number };
  durationMs: number;
}

export interface RunSummary {
  runId: string;
  suite: string;
  startedAt: string;
  finishedAt: string;
  dir: string;
  host: { accel: string; qemu: string; hostname: string };
  kernel: { source: string; path: string; version?: string };
  image: { id: string; path: string };
  scenarios: ScenarioSummary[];
  /** Set when the run was stopped (Ctrl-C, SIGTERM): the scenarios listed are those that finished or were cut short. */
  interrupted?: boolean;
  exitCode: number;
}
