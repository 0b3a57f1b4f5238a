import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../harness/common/index.ts";
import { alive, tempDir } from "./setup.ts";

const hangar = join(repoRoot, "hangar");

describe("hangar CLI", () => {
  it("has --help on every subcommand", async () => {
    const top = await execa(hangar, ["--help"], { reject: false, timeout: 60_000 });
    expect(top.exitCode).toBe(0);
    for (const cmd of ["run", "parse", "image", "kernel", "doctor", "ssh", "nightly", "history", "bisect", "bisect-step", "prove", "expect", "lint", "worker", "farm"]) {
      expect(top.stdout).toContain(cmd);
      const r = await execa(hangar, [cmd, "--help"], { reject: false, timeout: 60_000 });
      expect(r.exitCode, cmd).toBe(0);
      expect(r.stdout).toMatch(/Usage: hangar/);
    }
  }, 120_000);

  it("rejects a scenario with a misspelled field before any VM starts, naming file and field (exit 2)", async () => {
    const dir = await tempDir("hangar-cli-");
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
    const dir = await tempDir("hangar-cli-");
    const file = join(dir, "bad.yaml");
    const text = (await readFile(join(repoRoot, "workloads", "selftest-clean.yaml"), "utf8")).replace("memory: 1G", "memory: lots");
    await writeFile(file, text);
    const r = await execa(hangar, ["run", file], { reject: false, timeout: 60_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/guest\.memory/);
    expect(r.stderr).toMatch(/expected a size/);
  }, 60_000);

  /** Start `hangar ARGS`, wait until its guest's QEMU runs, send `sig`, and return what it left. */
  async function interrupt(args: string[], sig: "SIGINT" | "SIGTERM") {
    const child = execa(hangar, args, { reject: false, timeout: 10 * 60_000, all: true });
    let out = "";
    let qemuPid: number | undefined;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no qemu pid seen; output:\n${out}`)), 8 * 60_000);
      child.all!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /qemu pid (\d+)/.exec(out);
        if (m && !qemuPid) {
          qemuPid = Number(m[1]);
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(alive(qemuPid)).toBe(true);
    // The QEMU command line names its QMP socket's temp dir and its scratch disks.
    const cmdline = await new Promise<string[]>((resolve) => {
      const t = setInterval(async () => {
        const found = await execa("sh", ["-c", `cat /proc/${qemuPid}/cmdline | tr '\\0' '\\n'`], { reject: false, timeout: 5_000 });
        if (found.stdout) {
          clearInterval(t);
          resolve(found.stdout.split("\n"));
        }
      }, 200);
    });
    await new Promise((r) => setTimeout(r, 3_000));
    child.kill(sig);
    const r = await child;
    // The process is gone (not merely a zombie of ours: hangar was its parent).
    await new Promise((r) => setTimeout(r, 500));
    const qmpDir = cmdline.map((a) => /^unix:(.*)\/qmp\.sock/.exec(a)?.[1]).find(Boolean);
    const disks = cmdline.map((a) => /file=([^,]*disk-[^,]*\.img)/.exec(a)?.[1]).filter((x): x is string => !!x);
    return { r, out, qemuPid, qmpDir, disks };
  }

  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`${sig} while a guest boots: exit ${code}, no QEMU, no scratch disk, no temp dir, a summary marked interrupted`, async () => {
      const dir = await tempDir("hangar-cli-");
      {
        const { r, out, qemuPid, qmpDir, disks } = await interrupt(["run", join(repoRoot, "workloads", "selftest-hung-task.yaml"), "--results", dir, "-v"], sig);
        expect(r.exitCode, out.slice(-2000)).toBe(code);
        expect(alive(qemuPid)).toBe(false);
        expect(qmpDir).toBeDefined();
        expect(existsSync(qmpDir!)).toBe(false);
        expect(disks.length).toBe(1);
        for (const d of disks) expect(existsSync(d), d).toBe(false);
        const runs = (await readdir(dir)).filter((x) => !x.startsWith("."));
        expect(runs).toHaveLength(1);
        const summary = JSON.parse(await readFile(join(dir, runs[0]!, "summary.json"), "utf8"));
        expect(summary.interrupted).toBe(true);
        expect(summary.scenarios[0]).toMatchObject({ name: "selftest-hung-task", outcome: "infra" });
        expect(summary.scenarios[0].attempts[0].reason).toMatch(/interrupted/);
      }
    }, 10 * 60_000);
  }

  it("hangar ssh: SIGTERM tears the guest down and removes its work dir (exit 143)", async () => {
    const { r, qemuPid, qmpDir, disks } = await interrupt(["ssh", join(repoRoot, "workloads", "selftest-hung-task.yaml"), "-v", "-c", "sleep 600"], "SIGTERM");
    expect(r.exitCode).toBe(143);
    expect(alive(qemuPid)).toBe(false);
    expect(existsSync(qmpDir!)).toBe(false);
    expect(disks.length).toBe(1);
    // The scratch disk lived in the session's work dir, which is gone with it.
    expect(existsSync(dirname(disks[0]!))).toBe(false);
  }, 10 * 60_000);
});
