import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../harness/common/index.ts";
import { autoJobs, parseJobs, parseKernelSpec, parseKernelSpecs, runRegressionHook } from "../../../harness/nightly/index.ts";
import { tempDirs } from "../../temp-dirs.ts";

const tempDir = tempDirs();

describe("--on-regression", () => {
  it("runs the command with its arguments and the summary path, no shell, with the run in its environment", async () => {
    const dir = await tempDir("hangar-hook-");
    const out = join(dir, "out.json");
    const summary = join(dir, "night dir; $(touch pwned)", "nightly.json");
    // A real child process (node) that records what it got.
    const script = `require("fs").writeFileSync(process.argv[1], JSON.stringify({ argv: process.argv.slice(2), env: process.env.HANGAR_NIGHTLY_SUMMARY, run: process.env.HANGAR_NIGHTLY_RUN }))`;
    const r = await runRegressionHook([process.execPath, "-e", script, out, "--to", "kernel@example.org"], { summaryPath: summary, runId: "20261201-020000-abcd", sink: new EventBus() });
    expect(r.error).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const got = JSON.parse(await readFile(out, "utf8"));
    expect(got.argv).toEqual(["--to", "kernel@example.org", summary]);
    expect(got.env).toBe(summary);
    expect(got.run).toBe("20261201-020000-abcd");
  });

  it("reports a failing or hanging command without throwing, within its deadline", async () => {
    const bus = new EventBus();
    const failed = await runRegressionHook([process.execPath, "-e", "process.exit(7)"], { summaryPath: "/x/nightly.json", runId: "r", sink: bus });
    expect(failed.error).toBe("exited 7");
    const t0 = Date.now();
    const hung = await runRegressionHook([process.execPath, "-e", "setInterval(() => {}, 1000)"], { summaryPath: "/x/nightly.json", runId: "r", sink: bus, timeoutMs: 500 });
    expect(hung.timedOut).toBe(true);
    expect(hung.error).toMatch(/timed out after 0\.5 s/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const missing = await runRegressionHook(["/nonexistent/mailer"], { summaryPath: "/x/nightly.json", runId: "r", sink: bus });
    expect(missing.error).toMatch(/ENOENT|not found|nonexistent/);
  });
});

describe("-j auto", () => {
  it.each([
    // available MiB, cores, guest MiB, guest vCPUs → jobs
    [22_000, 2, 1024, 2, 1],
    [22_000, 16, 1024, 2, 8],
    [22_000, 64, 2048, 2, 8], // memory-bound: (22000-1024) / (2048+512) = 8
    [1_000, 16, 1024, 2, 1], // never below one
    [6_000, 8, 1024, 1, 3],
  ])("%i MiB, %i cores, guests of %i MiB × %i vCPUs → %i", (availableMiB, cores, guestMiB, guestCpus, jobs) => {
    const r = autoJobs({ availableMiB, cores, guestMiB, guestCpus });
    expect(r.jobs).toBe(jobs);
    expect(r.why).toContain(`${availableMiB} MiB available`);
  });
  it("parses -j", () => {
    expect(parseJobs("auto")).toBe("auto");
    expect(parseJobs("3")).toBe(3);
    expect(() => parseJobs("0")).toThrow(/positive whole number or "auto"/);
    expect(() => parseJobs("many")).toThrow(/"many"/);
  });
});

describe("--kernel specs", () => {
  it.each([
    ["debian", { key: "debian", kind: "debian" }],
    ["de955bb32d68", { key: "de955bb32d68", kind: "path", path: "de955bb32d68" }],
    ["/boot/vmlinuz-6.1.0-28-amd64", { key: "vmlinuz-6.1.0-28-amd64", kind: "path", path: "/boot/vmlinuz-6.1.0-28-amd64" }],
    ["git:/src/linux@v6.12", { key: "linux-v6.12", kind: "git", dir: "/src/linux", rev: "v6.12" }],
    ["git:/src/lin@ux@origin/master", { key: "lin_ux-origin_master", kind: "git", dir: "/src/lin@ux", rev: "origin/master" }],
    ["mainline=git:/src/linux@origin/master", { key: "mainline", kind: "git", dir: "/src/linux", rev: "origin/master" }],
    ["stock=debian", { key: "stock", kind: "debian" }],
  ])("%s", (given, expected) => {
    expect(parseKernelSpec(given)).toMatchObject({ spec: given, ...expected });
  });
  it.each([
    [["git:/src/linux"], /expected git:DIR@REV/],
    [["git:@v6.12"], /expected git:DIR@REV/],
    [["x="], /expected NAME=SPEC/],
    [["debian", "debian"], /both named "debian"; name one with NAME=/],
  ])("rejects %j (exit 2)", (given, msg) => {
    let err: unknown;
    try {
      parseKernelSpecs(given);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(msg);
    expect((err as { exitCode: number }).exitCode).toBe(2);
  });
  it("no --kernel means Debian's", () => {
    expect(parseKernelSpecs([])).toMatchObject([{ key: "debian", kind: "debian" }]);
  });
});

