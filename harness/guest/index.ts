export { shQuote, shJoin, shEnv } from "./quote.ts";
export {
  markCommand,
  sysctlCommand,
  stepCommand,
  sysrqTriggerCommand,
  KERNEL_CONFIG_COMMAND,
  KERNEL_LOG_FOLLOW_COMMAND,
  KERNEL_LOG_DUMP_COMMAND,
  HEARTBEAT_COMMAND,
} from "./commands.ts";
export { parseKernelConfig, missingOptions } from "./kconfig.ts";
export { detectorSysctls } from "./detectors.ts";
