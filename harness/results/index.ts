export { ResultStore } from "./store.ts";
export { newRunId, attemptDir, runDir, FILES } from "./layout.ts";
export { toJUnit } from "./junit.ts";
export { toHtml, escapeHtml } from "./html.ts";
export { wilson } from "./stats.ts";
export type { AttemptVerdict, AttemptSummary, ScenarioSummary, RunSummary, ReportBrief } from "./types.ts";
