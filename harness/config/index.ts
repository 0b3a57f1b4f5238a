export { loadScenario, loadSuite, isSuiteFile, keysAt } from "./load.ts";
export { ConfigError } from "./errors.ts";
export { parseDuration, parseSizeMiB } from "./units.ts";
export { scenarioSchema, suiteSchema } from "./scenario-schema.ts";
export type { Scenario, Suite, Step, Disk, Detectors } from "./scenario-schema.ts";
