export { runAttempt, type AttemptResult, type AttemptOptions, type StepRecord } from "./attempt.ts";
export { runScenario, summarizeScenario } from "./scenario.ts";
export { runSuite, exitCodeFor, type SuiteRunOptions } from "./suite.ts";
export { prepareBoot, type PrepareOptions } from "./prepare.ts";
export { kernelCommandLine, guestSpecFor, stepEnvironment, type BootPlan } from "./boot-plan.ts";
export { Watchdog, DEFAULT_WATCHDOG, unlessAborted } from "./watchdog.ts";
export { buildStorage, teardownStorage, storageEnvironment, mountPoints, type LayerRecord, type GuestExec } from "./storage-stage.ts";
export { PressureStage } from "./pressure-stage.ts";
