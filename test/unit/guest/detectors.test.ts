import { describe, expect, it } from "vitest";
import { scenarioSchema } from "../../../harness/config/index.ts";
import { detectorParams, detectorSysctls, moduleParamCommand } from "../../../harness/guest/index.ts";

const detectors = (d: object) => scenarioSchema.parse({ name: "s", steps: [{ name: "x", run: "true" }], expect: { outcome: "clean", signatures: [] }, detectors: d }).detectors;

describe("detector settings", () => {
  it("hung task settings as asked; emulation-tolerant soft-lockup and RCU thresholds under TCG only", () => {
    const d = detectors({ hung_task_timeout_secs: 120, wq_watchdog_thresh: 90 });
    expect(detectorSysctls(d, "tcg")).toMatchObject({ "kernel.hung_task_timeout_secs": 120, "kernel.hung_task_warnings": -1, "kernel.watchdog_thresh": 55 });
    expect(detectorSysctls(d, "kvm")["kernel.watchdog_thresh"]).toBeUndefined();
    expect(detectorParams(d, "tcg").map((p) => [p.name, p.value])).toEqual([["wq_watchdog_thresh", 90], ["rcu_stall_timeout_secs", 100]]);
    expect(detectorParams(d, "kvm").map((p) => p.name)).toEqual(["wq_watchdog_thresh"]);
    const own = detectors({ softlockup_thresh: 5, rcu_stall_timeout_secs: 21 });
    expect(detectorSysctls(own, "tcg")["kernel.watchdog_thresh"]).toBe(5);
    expect(detectorParams(own, "tcg")).toEqual([expect.objectContaining({ name: "rcu_stall_timeout_secs", value: 21 })]);
  });

  it("a module parameter the kernel lacks is reported as unavailable, naming the option", () => {
    const cmd = moduleParamCommand({ path: "/sys/module/workqueue/parameters/watchdog_thresh", value: 60, option: "CONFIG_WQ_WATCHDOG" });
    expect(cmd).toContain("echo 60 > /sys/module/workqueue/parameters/watchdog_thresh");
    expect(cmd).toContain('echo "unavailable: kernel lacks CONFIG_WQ_WATCHDOG"');
  });
});
