import type { Detectors } from "../config/index.ts";

/** The sysctls that arm the kernel's hang detectors as a scenario asks. */
export function detectorSysctls(d: Detectors): Record<string, string | number> {
  return {
    "kernel.hung_task_timeout_secs": d.hung_task_timeout_secs,
    // Check as often as the timeout so a hang is reported within one interval.
    "kernel.hung_task_check_interval_secs": 0,
    "kernel.hung_task_warnings": d.hung_task_warnings,
    "kernel.hung_task_panic": d.hung_task_panic ? 1 : 0,
    ...(d.softlockup_thresh !== undefined ? { "kernel.watchdog_thresh": d.softlockup_thresh } : {}),
    ...d.sysctl,
  };
}
