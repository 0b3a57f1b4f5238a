/** prove/ — known-bad kernels against report scenarios (`hangar prove`, docs/prove.md). */
export { planProofs, checkKnownBad, type ProofPlan, type KernelSpec } from "./plan.ts";
export { proveScenario, buildProofKernels, PROOF_FILE, DEFAULT_REPLACE_INFRA, type ProofRecord, type ScenarioProof, type RoleRecord, type ProveOptions } from "./run.ts";
export { judgeProof, tally, proveExitCode, scenarioStatus, attemptSucceeded, type ProofStatus, type Role, type AttemptOutcome, type RoleTally } from "./judge.ts";
export { formatProofs, proofTable, describeRole } from "./format.ts";
