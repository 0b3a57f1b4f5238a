/**
 * bisect/ — find the commit that brought a deadlock in: pure decision policies (counts in,
 * "run more here" or a decision out), a driver that builds and runs commits through an
 * injected tester, a ledger for resume, reports, and the simulator behind `npm run bench -- bisect`.
 */
export { runBisect, LEDGER_FILE, BISECT_LOG_FILE, type BisectOptions, type BisectOutcome, type CommitTester, type BuildOutcome, type RunOutcome } from "./driver.ts";
export { kernelTester, buildCommit, buildFailureReason, classifyAttempt, attemptDir, sha256File, type KernelTesterOptions } from "./kernel-tester.ts";
export { GitRepo, type CommitInfo } from "./git.ts";
export { appendEvent, ledgerWallMs, readLedger, type BisectInputs, type LedgerEvent } from "./ledger.ts";
export { buildReport, reportText, bisectSection, bisectPage, type BisectReport } from "./report.ts";
export { makePolicy, USER_POLICIES, SIMULATED_POLICIES, type PolicyName, type UserPolicyName } from "./policies.ts";
export { DEFAULT_POLICY_OPTIONS, type PolicyOptions, type Decision, type CommitCounts } from "./policy-types.ts";
export { simulate, simulateTrial, DEFAULT_SIM, type SimConfig, type SimSummary } from "./simulate.ts";
export { STEP_EXIT, stepVerdict, stepExitCode, stepFailureExitCode, cleanRunsFor } from "./step.ts";
