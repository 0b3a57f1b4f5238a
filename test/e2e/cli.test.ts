import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../harness/common/index.ts";
import { alive } from "./setup.ts";

const hangar = join(repoRoot, "hangar");

describe("hangar CLI", () => {
  it("has --help on every subcommand", async () => {
    const top = await execa(hangar, ["--help"], { reject: false, timeout: 60_000 });
    expect(top.exitCode).toBe(0);
    for (const cmd of ["run", "parse", "image", "doctor", "ssh"]) {
      expect(top.stdout).toContain(cmd);
      const r = await execa(hangar, [cmd, "--help"], { reject: false, timeout: 60_000 });
      expect(r.exitCode, cmd).toBe(0);
      expect(r.stdout).toMatch(/Usage: hangar/);
    }
  }, 120_000);

  it("rejects a scenario with a misspelled field before any VM starts, naming file and field (exit 2)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hangar-cli-"));
    const file = join(dir, "typo.yaml");
    const text = (await readFile(join(repoRoot, "workloads", "selftest-clean.yaml"), "utf8")).replace("cooldown: 5s", "cooldwn: 5s");
    await writeFile(file, text);
    const t0 = Date.now();
    const r = await execa(hangar, ["run", file, "--results", dir], { reject: false, timeout: 60_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/cooldwn/);
    expect(r.stderr).toMatch(/did you mean "cooldown"/);
    expect(r.stderr).toMatch(/line \d+/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);

  it("names the field and the expectation for a wrong value", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hangar-cli-"));
    const file = join(dir, "bad.yaml");
    const text = (await readFile(join(repoRoot, "workloads", "selftest-clean.yaml"), "utf8")).replace("memory: 1G", "memory: lots");
    await writeFile(file, text);
    const r = await execa(hangar, ["run", file], { reject: false, timeout: 60_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/guest\.memory/);
    expect(r.stderr).toMatch(/expected a size/);
  }, 60_000);

  it("leaves no QEMU behind when interrupted with SIGINT while a guest boots", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hangar-cli-"));
    const child = execa(hangar, ["run", join(repoRoot, "workloads", "selftest-clean.yaml"), "--results", dir, "-v"], {
      reject: false,
      timeout: 10 * 60_000,
      all: true,
    });
    let out = "";
    let qemuPid: number | undefined;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no qemu pid seen; output:\n${out}`)), 8 * 60_000);
      child.all!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /qemu pid (\d+)/.exec(out);
        if (m) {
          qemuPid = Number(m[1]);
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(alive(qemuPid)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000));
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode).toBe(130);
    // The process is gone (not merely a zombie of ours: hangar was its parent).
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(qemuPid)).toBe(false);
  }, 10 * 60_000);
});
