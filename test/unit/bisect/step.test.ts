/**
 * `hangar bisect-step` for `git bisect run`: the exit-code mapping (0 good, 1 bad, 125 skip,
 * 128+ only for hangar's own failures; never 126/127, which git reads as bad), and the real
 * command refusing bad arguments with 128 so that git aborts instead of marking a commit.
 */
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { HangarError, UserInputError, repoRoot } from "../../../harness/common/index.ts";
import { STEP_EXIT, stepExitCode, stepFailureExitCode, stepVerdict } from "../../../harness/bisect/index.ts";

const c = (runs: number, hits: number, o: { infra?: number; untestable?: string } = {}) => ({ runs, hits, noise: 0, infra: o.infra ?? 0, ...(o.untestable ? { untestable: o.untestable } : {}) });

describe("bisect-step verdicts and exit codes", () => {
  it("bad at the first hit, good after the asked clean runs, skip when untestable, otherwise more runs", () => {
    expect(stepVerdict(c(1, 1), 10)).toBe("bad");
    expect(stepVerdict(c(10, 0), 10)).toBe("good");
    expect(stepVerdict(c(9, 0), 10)).toBe("more");
    expect(stepVerdict(c(0, 0, { untestable: "kernel lacks CONFIG_NFS_LOCALIO" }), 10)).toBe("skip");
    expect(stepVerdict(c(1, 0, { infra: 3 }), 10)).toBe("skip");
    expect(stepVerdict(c(5, 0, { infra: 3 }), 10)).toBe("more");
    // A hit counts even on a commit with infra trouble: it is a real report of the target.
    expect(stepVerdict(c(1, 1, { infra: 5 }), 10)).toBe("bad");
  });

  it("maps to git's contract", () => {
    expect(stepExitCode("good")).toBe(0);
    expect(stepExitCode("bad")).toBe(1);
    expect(stepExitCode("skip")).toBe(125);
    expect(stepFailureExitCode(new UserInputError("--signature x: no such signature"))).toBe(128);
    expect(stepFailureExitCode(new HangarError("qemu-system-x86_64 missing"))).toBe(129);
    expect(stepFailureExitCode(new Error("anything"))).toBe(129);
    expect(stepFailureExitCode(new Error("aborted"), true)).toBe(130);
    for (const v of Object.values(STEP_EXIT)) {
      expect([126, 127]).not.toContain(v);
      expect(v === 0 || v === 1 || v === 125 || v >= 128).toBe(true);
    }
  });

  it("the real command: unknown options and bad files end with 128, not a code git reads as bad", { timeout: 150_000 }, async () => {
    const hangar = (args: string[]) => execa("npx", ["tsx", "harness/cli/main.ts", ...args], { cwd: repoRoot, reject: false, timeout: 70_000 });
    const unknown = await hangar(["bisect-step", "--no-such-option", "workloads/selftest-hung-task.yaml"]);
    expect(unknown.exitCode).toBe(128);
    const missing = await hangar(["bisect-step", "/nonexistent/scenario.yaml"]);
    expect(missing.exitCode, String(missing.stderr)).toBe(128);
    expect(String(missing.stderr)).toMatch(/nonexistent\/scenario\.yaml/);
  });
});
