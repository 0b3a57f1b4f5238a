export { shQuote, shJoin, shEnv } from "./quote.ts";
export {
  markCommand,
  sysctlCommand,
  stepCommand,
  sysrqTriggerCommand,
  KERNEL_CONFIG_COMMAND,
  GUEST_MODULE_DIR,
  writeFileCommand,
} from "./commands.ts";
export { detachedCommands, RUNNER_VANISHED, type DetachedCommands } from "./detached.ts";
export { parseKernelConfig, missingOptions } from "./kconfig.ts";
export { detectorSysctls, detectorParams, moduleParamCommand, EMULATION_THRESHOLDS } from "./detectors.ts";
export { stepScript, sizeBytes, workloadDirs } from "./workloads.ts";
export { layerBuildScript, layerInspectCommand, layerTeardownScript, parseLayerOutput, mountPointOf, type LayerOutput } from "./storage.ts";
export {
  cgroupSetupScript,
  pressureStartCommand,
  pressureSysctls,
  parseSnapshot,
  parseSamples,
  pressureEvidence,
  describeEvidence,
  JOIN_CGROUP,
  PRESSURE_CGROUP,
  PRESSURE_STOP_COMMAND,
  SAMPLES_COMMAND,
  SNAPSHOT_COMMAND,
  type PressureEvidence,
  type Snapshot,
} from "./pressure.ts";
