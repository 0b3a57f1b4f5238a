/**
 * nightly/ — the kernel × scenario matrix, the baseline comparison, known issues, the history index
 * and its pages. `runNightly` is the command; the rest is pure or file-level and tested on its own.
 */
export { runNightly, checkNightlyInputs, type NightlyOptions, type NightlyInputs } from "./run-night.ts";
export { finishNight, resolveBaseline } from "./night.ts";
export { compareCell, maybeFixed, nightExitCode, DEFAULT_ALPHA } from "./compare.ts";
export { fisherExact, binomialUpperTail } from "./stats.ts";
export { parseKnownIssues, activeIssues, KnownIssuesError, type KnownIssue, type KnownIssues } from "./known-issues.ts";
export { readHistory, rebuildHistory, appendHistory, queryHistory, baselineCell, type HistoryEntry, type HistoryRow } from "./history.ts";
export { renderHistoryPage, writeHistoryPage } from "./history-page.ts";
export { parseKernelSpecs, parseKernelSpec, type KernelSpec } from "./kernels.ts";
export { autoJobs, parseJobs } from "./jobs.ts";
export { runMatrix, type MatrixKernel } from "./matrix.ts";
export { runRegressionHook } from "./hook.ts";
export type { Cell, CellState, CellComparison, NightSummary, SignatureChange } from "./types.ts";
