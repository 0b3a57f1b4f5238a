/**
 * Three real nights on Debian's kernel through the CLI, as cron would run them:
 *   night 1  the canary without the freeze (clean)                → exit 0, a first night
 *   night 2  the same scenario with the freeze enabled (hung task) → exit 1 naming the new signature,
 *            and the --on-regression command gets nightly.json's path
 *   night 3  identical to night 2, compared with night 2          → exit 0, unchanged
 * One attempt per night (-n 1) at a small time factor: about 5 minutes under TCG.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../harness/common/index.ts";
import { readHistory } from "../../harness/nightly/index.ts";
import { tempDir } from "./setup.ts";

const hangar = join(repoRoot, "hangar");
const SIGNATURE = "hung-task:mnt_want_write|path_openat|do_filp_open";

/** A shipped canary renamed, so both nights run "the same scenario". */
async function canary(dir: string, from: string): Promise<string> {
  const text = (await readFile(join(repoRoot, "workloads", from), "utf8")).replace(/^name: .*$/m, "name: nightly-canary");
  const file = join(dir, from.replace(".yaml", "-as-nightly-canary.yaml"));
  await writeFile(file, text);
  return file;
}

describe("hangar nightly on real guests", () => {
  it("a clean first night, a regressing night (exit 1, new signature, hook), an identical night (exit 0)", async () => {
    const t0 = Date.now();
    const dir = await tempDir("hangar-nightly-e2e-");
    const results = join(dir, "results");
    const noFreeze = await canary(dir, "selftest-clean.yaml");
    const freeze = await canary(dir, "selftest-hung-task.yaml");
    const hookOut = join(dir, "hook.json");
    const hookScript = `require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))`;
    const night = (file: string, extra: string[] = []) =>
      execa(hangar, ["nightly", file, "--results", results, "--baseline", "latest", "--known-issues", join(repoRoot, "workloads", "known-issues.yaml"), "-n", "1", "--time-factor", "0.1", "-j", "auto", ...extra], {
        reject: false,
        timeout: 20 * 60_000,
        all: true,
      });

    const n1 = await night(noFreeze);
    expect(n1.exitCode, n1.all).toBe(0);
    expect(n1.stdout).toMatch(/FIRST nightly-canary: 0\/1 with reports/);

    const n2 = await night(freeze, ["--on-regression", process.execPath, "-e", hookScript, hookOut]);
    expect(n2.exitCode, n2.all).toBe(1);
    expect(n2.stdout).toMatch(/REGR\s+nightly-canary: 1\/1 with reports/);
    expect(n2.stdout).toContain(`new  INFO: task hung in mnt_want_write  0/1 → 1/1  p=1.00  [${SIGNATURE}]`);
    const history = await readHistory(results);
    expect(history).toHaveLength(2);
    const summaryPath = join(results, history[1]!.runId, "nightly.json");
    expect(JSON.parse(await readFile(hookOut, "utf8"))).toEqual([summaryPath]);
    const summary = JSON.parse(await readFile(summaryPath, "utf8"));
    expect(summary.regressions).toEqual([{ kernel: "debian", scenario: "nightly-canary", titles: ["INFO: task hung in mnt_want_write"] }]);
    expect(await readFile(join(results, history[1]!.runId, "junit.xml"), "utf8")).toMatch(/<failure message="INFO: task hung in mnt_want_write" type="regression">/);

    const n3 = await night(freeze);
    expect(n3.exitCode, n3.all).toBe(0);
    expect(n3.stdout).toMatch(/OK\s+nightly-canary: 1\/1 with reports/);
    expect(n3.stdout).toContain(`baseline ${history[1]!.runId}`);

    const all = await readHistory(results);
    expect(all.map((e) => e.cells[0]!.state)).toEqual(["first", "regression", "unchanged"]);
    const page = await readFile(join(results, "index.html"), "utf8");
    expect(page).toContain('data-state="regression"');
    process.stderr.write(`[nightly e2e] three nights in ${((Date.now() - t0) / 60_000).toFixed(1)} min; results ${results}\n`);
  }, 60 * 60_000);
});
