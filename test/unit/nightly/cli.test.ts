/** `hangar nightly` input errors (exit 2 before anything boots) and `hangar history` on a synthetic results folder. */
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { DEFAULT_NIGHTLY_SUITE, splitHook } from "../../../harness/cli/nightly.ts";
import { nightId, synthNight } from "./synthetic.ts";
import { tempDirs } from "../../temp-dirs.ts";

const tempDir = tempDirs();

const hangar = join(repoRoot, "hangar");
const canary = join(repoRoot, "workloads", "selftest-clean.yaml");

describe("--on-regression takes the rest of the line", () => {
  const argv = (...words: string[]) => ["node", "main.ts", "nightly", ...words];
  it.each([
    // what commander gave (files, the option's values), the raw argv → files, hook
    ["plain words", ["s.yaml"], ["notify", "#kernel"], argv("s.yaml", "--on-regression", "notify", "#kernel"), ["s.yaml"], ["notify", "#kernel"]],
    ["option-like arguments", ["s.yaml", "-s", "night regressed", "a@b"], ["mail"], argv("s.yaml", "--on-regression", "mail", "-s", "night regressed", "a@b"), ["s.yaml"], ["mail", "-s", "night regressed", "a@b"]],
    ["the = form", ["s.yaml", "-x"], ["notify"], argv("s.yaml", "--on-regression=notify", "-x"), ["s.yaml"], ["notify", "-x"]],
    ["no files: the nightly suite", ["-e", "x"], ["node"], argv("--on-regression", "node", "-e", "x"), [DEFAULT_NIGHTLY_SUITE], ["node", "-e", "x"]],
    ["no hook", ["a.yaml", "b.yaml"], undefined, argv("a.yaml", "b.yaml"), ["a.yaml", "b.yaml"], undefined],
  ] as const)("%s", (_n, files, opt, raw, outFiles, hook) => {
    expect(splitHook([...files], opt ? [...opt] : undefined, raw)).toEqual({ files: outFiles, ...(hook ? { hook } : {}) });
  });
  it("a misspelled option among the files is a usage error", () => {
    expect(() => splitHook(["s.yaml", "--kernal", "x"], undefined, argv("s.yaml", "--kernal", "x"))).toThrow(/unknown option '--kernal'/);
  });
});

describe("hangar nightly: bad input is exit 2 before any guest", () => {
  it("a known-issues file with a wrong field names the file, the field and its line", async () => {
    const dir = await tempDir("hangar-nightly-cli-");
    const known = join(dir, "known.yaml");
    await writeFile(known, `issues:\n  - signature: "hung-task:x"\n    bug: https://bugs.example/1\n    rate: 2\n`);
    const r = await execa(hangar, ["nightly", canary, "--results", join(dir, "results"), "--known-issues", known], { reject: false, timeout: 60_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(known);
    expect(r.stderr).toMatch(/issues\[0\]\.rate \(line 4\): expected a rate within \[0, 1\]/);
    expect(await readdir(join(dir, "results")).catch(() => [])).toEqual([]);
  }, 120_000);

  it("--baseline naming no night", async () => {
    const dir = await tempDir("hangar-nightly-cli-");
    const r = await execa(hangar, ["nightly", canary, "--results", dir, "--baseline", "20250101-000000-0000"], { reject: false, timeout: 60_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--baseline 20250101-000000-0000: no nightly run with that id in /);
  }, 120_000);

  it("a malformed --kernel and -j", async () => {
    const a = await execa(hangar, ["nightly", canary, "--kernel", "git:/src/linux"], { reject: false, timeout: 60_000 });
    expect(a.exitCode).toBe(2);
    expect(a.stderr).toMatch(/expected git:DIR@REV/);
    const b = await execa(hangar, ["nightly", canary, "-j", "lots"], { reject: false, timeout: 60_000 });
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toMatch(/positive whole number or "auto"/);
  }, 120_000);
});

describe("hangar history", () => {
  it("lists nights per cell, or one signature's hits per night", async () => {
    const root = await tempDir("hangar-history-cli-");
    for (let i = 0; i < 3; i++) {
      await synthNight(root, {
        runId: nightId(i),
        ...(i ? { baseline: nightId(i - 1) } : {}),
        kernels: [{ key: "debian", cells: [{ scenario: "canary", attempts: i === 2 ? ["hung", "clean"] : ["clean", "clean"] }, { scenario: "quiet", attempts: ["clean"] }] }],
      });
    }
    const all = await execa(hangar, ["history", "--results", root], { reject: false, timeout: 60_000 });
    expect(all.exitCode).toBe(0);
    expect(all.stdout.split("\n")).toHaveLength(6);
    expect(all.stdout).toMatch(new RegExp(`${nightId(2)}  debian\\s+canary\\s+regression\\s+1/2 \\+1 new`));

    const sig = await execa(hangar, ["history", "--results", root, "--signature", "mnt_want_write", "--json"], { reject: false, timeout: 60_000 });
    expect(sig.exitCode).toBe(0);
    const rows = JSON.parse(sig.stdout) as { runId: string; hits: number; judged: number; title: string }[];
    expect(rows.map((r) => [r.runId, r.hits, r.judged])).toEqual([[nightId(0), 0, 2], [nightId(1), 0, 2], [nightId(2), 1, 2]]);
    expect(rows[0]!.title).toBe("INFO: task hung in mnt_want_write");
  }, 120_000);
});
