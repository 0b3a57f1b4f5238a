/**
 * match/ — expected signatures against reports → attempt verdict. Pure: no I/O.
 */
export { expectedSignatureSchema, expectationsSchema, formatSchemaError } from "./schema.ts";
export type { ExpectedSignature, Expectations } from "./schema.ts";
export { matchesExpectation, type MatchOutcome } from "./match.ts";
export { matchReports, type MatchResult, type MatchVerdict } from "./verdict.ts";
export { backtrackingRisk } from "./regex-safety.ts";
