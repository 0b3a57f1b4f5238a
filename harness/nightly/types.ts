/** The nightly data model: one night's cells, their comparison with a baseline, the summary JSON. */
import type { AttemptVerdict } from "../results/index.ts";

/**
 * Per scenario × kernel, what the night says about it:
 * - `regression`: a new signature, one seen at a significantly higher rate than in the baseline, or a
 *   known issue seen significantly above its expected rate;
 * - `fixed`: a baseline signature is gone or significantly rarer, and nothing regressed;
 * - `flaky-known`: every report is a known issue at (or under) its expected rate;
 * - `unchanged`: the same signatures at rates that are not significantly different;
 * - `infra`: no attempt could be judged (boot, SSH, deadline…);
 * - `skipped`: the kernel lacks an option the scenario requires;
 * - `first`: nothing to compare with (a first night, a new scenario or a new kernel).
 */
export type CellState = "regression" | "fixed" | "flaky-known" | "unchanged" | "infra" | "skipped" | "first";
export const CELL_STATES: readonly CellState[] = ["regression", "fixed", "flaky-known", "unchanged", "infra", "skipped", "first"];

/** A signature as the night saw it (titles and kinds are kept once per night). */
export interface SignatureInfo {
  kind: string;
  title: string;
}

/** One scenario on one kernel in one night: attempt counts and, per signature, attempts that showed it. */
export interface Cell {
  kernel: string;
  scenario: string;
  outcome: AttemptVerdict;
  /** Attempts with a verdict (not infra, not skipped): the denominator of every rate. */
  judged: number;
  infra: number;
  skipped: number;
  /** Judged attempts with at least one (non-ignored) kernel report. */
  reported: number;
  /** signature → judged attempts in which it appeared (ignored reports left out). */
  hits: Record<string, number>;
  /** Why no attempt ran at all (the kernel could not be built or prepared). */
  error?: string;
}

export type SignatureChangeKind = "new" | "gone" | "up" | "down" | "unchanged" | "seen";

export interface KnownIssueHit {
  id: string;
  bug: string;
  rate: number;
  /** P(hits or more | expected rate): small means the issue got worse. */
  p: number;
  above: boolean;
}

export interface SignatureChange {
  signature: string;
  kind: string;
  title: string;
  change: SignatureChangeKind;
  base: { hits: number; n: number };
  cur: { hits: number; n: number };
  /** Two-sided Fisher's exact test of the two rates (1 when there is no baseline). */
  p: number;
  known?: KnownIssueHit;
  /** Does this change make the cell a regression? */
  bad: boolean;
}

export interface CellComparison {
  kernel: string;
  scenario: string;
  state: CellState;
  /** One line for people: why this state. */
  reason: string;
  /** The night the cell was compared with (it can be older than the run's baseline when that night's cell was infra). */
  baselineRun?: string;
  cell: Cell;
  changes: SignatureChange[];
}

export interface NightKernel {
  /** Stable name across nights: the grid's axis and the folder under the night. */
  key: string;
  /** As given on the command line (`debian`, a built kernel id, a bzImage path, git:DIR@REV). */
  spec: string;
  version?: string;
  /** Built kernel id or bzImage path that was booted. */
  booted?: string;
  /** The kernel could not be built or prepared: every cell of it is infra. */
  error?: string;
}

export interface MaybeFixed {
  id: string;
  bug: string;
  /** Nights in a row (this one included) where the issue's scenarios ran and it was not seen. */
  nights: number;
}

/** `nightly.json` of a night: everything the page, JUnit and `--on-regression` hooks need. */
export interface NightSummary {
  format: 1;
  runId: string;
  suite: string;
  startedAt: string;
  finishedAt: string;
  dir: string;
  /** The night compared with (`--baseline`), absent on a first night. */
  baseline?: string;
  alpha: number;
  /** Stopped by Ctrl-C or SIGTERM: the cells that did not run are infra ("not run"). */
  interrupted?: boolean;
  kernels: NightKernel[];
  signatures: Record<string, SignatureInfo>;
  cells: CellComparison[];
  knownIssues: { file?: string; warnings: string[]; maybeFixed: MaybeFixed[] };
  counts: Record<CellState, number>;
  regressions: { kernel: string; scenario: string; titles: string[] }[];
  exitCode: number;
}
