/** lint/ — expectations that can never match the target kernel (`hangar lint`). */
export { lintExpectations, namesIn, NOT_LOCKDEP_TRACKED, type LintProblem } from "./check.ts";
export { parseSystemMap, readSystemMap, scanFunctions, scanLockClasses, LintScanError, type KernelIndex } from "./kernel-index.ts";
export { lintTarget, kernelIndexFor, lintScenario, namesAddedBy, knownBadAdditions, type LintTarget, type ScenarioLint } from "./lint.ts";
