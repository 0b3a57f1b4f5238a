import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { shippedScenarios } from "../../shipped-scenarios.ts";
import { loadScenario, loadSuite, scaleDurations, stepTimeoutMs, workloadOf, type Scenario } from "../../../harness/config/index.ts";
import { runDurationEnv } from "../../../harness/run/index.ts";

const workload = (n: string) => join(repoRoot, "workloads", n);
/** The five reports (../shared/reports/README.md) and the scenario that hunts each. */
const REPORT_SCENARIOS: Record<string, string> = {
  "000_8942019e608a58a0.txt": "xfs-bmbt-split-rescuer",
  "001_56dfca235afae07b.txt": "xfs-inodegc-shrinker-scrub",
  "002_bf8fc762ccecfd5b.txt": "xfs-dmthin-loop-reclaim",
  "003_ea05d8311bafc5b3.txt": "btrfs-zstd-on-btrfs-loop",
  "004_9476be692fc6915d.txt": "nfs-localio-xfs-enospc",
};
// The reports the scenarios model, copied into the repository (the originals are in ../shared/reports).
const reportsDir = join(repoRoot, "test", "fixtures", "reports");

describe("the five report scenarios", () => {
  it("every shipped scenario file loads; file name = scenario name", async () => {
    const all = await shippedScenarios();
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const s of all) expect(`${s.name}.yaml`).toBe(s.file.split("/").pop());
  });

  for (const [report, name] of Object.entries(REPORT_SCENARIOS)) {
    it(`${name} models ${report}: stack, pressure, workload, hunted signatures`, async () => {
      const s = await loadScenario(workload(`${name}.yaml`));
      expect(s.report).toBe(report);
      expect(existsSync(join(reportsDir, report)), `${report} in ${reportsDir}`).toBe(true);
      expect(s.storage.length).toBeGreaterThan(0);
      expect(s.pressure, "asks for memory pressure").toBeDefined();
      expect(s.steps.filter((st) => st.phase === "workload" && workloadOf(st)).length).toBeGreaterThan(0);
      // A fixed bug must stay fixed: the hunted deadlock is declared, and its return fails the run.
      expect(s.expect.outcome).toBe("clean");
      expect(s.expect.signatures.length).toBeGreaterThan(0);
      expect(s.detectors.hung_task_warnings).toBe(-1);
      expect(s.kernel.fragments).toContain("base");
      // The attempt deadline leaves room for the longest workload step plus setup and cooldown.
      const longest = Math.max(...s.steps.map(stepTimeoutMs));
      expect(s.deadline).toBeGreaterThan(longest);
    });
  }

  it("the stacks are the ones the reports describe", async () => {
    const types = async (n: string) => (await loadScenario(workload(`${n}.yaml`))).storage.map((l) => `${l.type}@${l.on}`);
    expect(await types("xfs-dmthin-loop-reclaim")).toEqual(["xfs@scratch", "dm-thin@lower", "fill@lower", "xfs@thin"]);
    expect(await types("btrfs-zstd-on-btrfs-loop")).toEqual(["btrfs@scratch", "file@lower", "loop@image", "btrfs@loop"]);
    expect(await types("nfs-localio-xfs-enospc")).toEqual(["xfs@scratch", "fill@export", "nfs-localio@export"]);
    const btrfs = await loadScenario(workload("btrfs-zstd-on-btrfs-loop.yaml"));
    expect(btrfs.storage.filter((l) => l.type === "btrfs").map((l) => (l as { options: string }).options)).toEqual(["compress-force=zstd", "compress-force=zstd"]);
    const scrub = await loadScenario(workload("xfs-inodegc-shrinker-scrub.yaml"));
    expect(scrub.kernel.requires).toContain("CONFIG_XFS_ONLINE_SCRUB");
    expect(scrub.steps.some((st) => st.xfs_scrub)).toBe(true);
    const nfs = await loadScenario(workload("nfs-localio-xfs-enospc.yaml"));
    expect(nfs.expect.signatures[0]).toMatchObject({ kind: "warning", workqueues: ["/^xfs-sync/"] });
  });

  it("the default suite runs the canaries and the five scenarios at a short time factor", async () => {
    const suite = await loadSuite(workload("default.yaml"));
    const names = suite.scenarios.map((f) => f.split("/").pop()!.replace(/\.yaml$/, ""));
    expect(names).toEqual(expect.arrayContaining(["selftest-hung-task", "selftest-clean", ...Object.values(REPORT_SCENARIOS)]));
    expect(suite.time_factor).toBeLessThan(1);
    // Sum of the scaled workload durations stays within the suite's ~20 min budget on TCG.
    let workloadMs = 0;
    for (const f of suite.scenarios) {
      const s = scaleDurations(await loadScenario(f), suite.time_factor!);
      const durations = s.steps.map((st) => workloadOf(st)?.spec.duration ?? st.duration ?? 0);
      workloadMs += Math.max(0, ...durations) + s.cooldown;
    }
    expect(workloadMs).toBeLessThan(12 * 60_000);
  });
});

describe("time factor", () => {
  it("scales workload durations and the deadlines derived from them, not explicit timeouts", async () => {
    const s = await loadScenario(workload("nfs-localio-xfs-enospc.yaml"));
    const q = scaleDurations(s, 0.1);
    const dur = (x: Scenario) => x.steps.map((st) => workloadOf(st)?.spec.duration);
    expect(dur(s)).toEqual([240_000, 240_000]);
    expect(dur(q)).toEqual([24_000, 24_000]);
    expect(q.steps.map(stepTimeoutMs)).toEqual([96_000, 96_000]);
    expect(scaleDurations(s, 1)).toBe(s);
  });

  it("scales a run script's duration, handed to it as whole seconds in $HANGAR_DURATION_S", async () => {
    const s = await loadScenario(workload("xfs-inodegc-shrinker-scrub.yaml"));
    const runs = (x: Scenario) => x.steps.filter((st) => st.duration !== undefined);
    expect(runs(s).map((st) => st.name)).toEqual(["cow-prealloc-files", "repair-refcountbt", "page-cache-stream"]);
    for (const st of runs(s)) expect(st.run).toContain("$HANGAR_DURATION_S");
    const q = scaleDurations(s, 0.6);
    expect(runs(q).map(runDurationEnv)).toEqual(Array(3).fill({ HANGAR_DURATION_S: "180" }));
    expect(runs(q).map(stepTimeoutMs)).toEqual(Array(3).fill(330_000));
    expect(runDurationEnv(runs(scaleDurations(s, 0.001))[0]!)).toEqual({ HANGAR_DURATION_S: "1" });
    expect(runDurationEnv(q.steps.find((st) => st.duration === undefined)!)).toEqual({});
  });
});
