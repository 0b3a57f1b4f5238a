import type { Detectors } from "../config/index.ts";
import { shQuote } from "./quote.ts";

/**
 * Under TCG the host can starve a vCPU for tens of seconds, which the kernel's soft-lockup and
 * RCU-stall detectors report although nothing is wrong in the guest. Like syzbot under
 * emulation, use tolerant thresholds there unless the scenario sets its own.
 */
export const EMULATION_THRESHOLDS = { softlockup_thresh: 55, rcu_stall_timeout_secs: 100 };

/** The sysctls that arm the kernel's hang detectors as a scenario asks. */
export function detectorSysctls(d: Detectors, accel: "kvm" | "tcg" = "kvm"): Record<string, string | number> {
  const softlockup = d.softlockup_thresh ?? (accel === "tcg" ? EMULATION_THRESHOLDS.softlockup_thresh : undefined);
  return {
    "kernel.hung_task_timeout_secs": d.hung_task_timeout_secs,
    // Check as often as the timeout so a hang is reported within one interval.
    "kernel.hung_task_check_interval_secs": 0,
    "kernel.hung_task_warnings": d.hung_task_warnings,
    "kernel.hung_task_panic": d.hung_task_panic ? 1 : 0,
    ...(softlockup !== undefined ? { "kernel.watchdog_thresh": softlockup } : {}),
    ...d.sysctl,
  };
}

/** Detector settings that are module parameters: what to write, and the option that provides it. */
export function detectorParams(d: Detectors, accel: "kvm" | "tcg" = "kvm"): { name: string; path: string; value: number; option: string }[] {
  const out = [];
  if (d.wq_watchdog_thresh !== undefined) {
    out.push({ name: "wq_watchdog_thresh", path: "/sys/module/workqueue/parameters/watchdog_thresh", value: d.wq_watchdog_thresh, option: "CONFIG_WQ_WATCHDOG" });
  }
  const rcu = d.rcu_stall_timeout_secs ?? (accel === "tcg" ? EMULATION_THRESHOLDS.rcu_stall_timeout_secs : undefined);
  if (rcu !== undefined) {
    out.push({ name: "rcu_stall_timeout_secs", path: "/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout", value: rcu, option: "CONFIG_RCU_STALL_COMMON" });
  }
  return out;
}

/** Write a module parameter when the kernel has it; prints "applied: …" or "unavailable: …". */
export function moduleParamCommand(p: { path: string; value: number; option: string }): string {
  const f = shQuote(p.path);
  return `if [ -w ${f} ]; then echo ${Math.round(p.value)} > ${f} && echo "applied: ${Math.round(p.value)}"; else echo "unavailable: kernel lacks ${p.option}"; fi`;
}
