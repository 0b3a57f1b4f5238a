import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { detachedCommands, RUNNER_VANISHED, stepCommand } from "../../../harness/guest/index.ts";

// The commands run through a real sh, as they do in the guest; the files go to a temp dir.
const base = mkdtempSync(join(tmpdir(), "hangar-detached-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const sh = (cmd: string, o: { detached?: boolean } = {}) => execa("sh", ["-c", cmd], { reject: false, timeout: 20_000, ...o });

describe("detached guest commands", () => {
  it("start prints the command's output and exits with its status", async () => {
    const c = detachedCommands("plain", stepCommand("echo out; echo err >&2; exit 3", {}), base);
    const r = await sh(c.start);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([3, "out", "err"]);
  });

  it("survives the connection that started it: attach gets the same output and status", async () => {
    const c = detachedCommands("dropped", stepCommand("echo begun; sleep 2; echo finished; exit 4", {}), base);
    // What a dropped SSH connection does to the session: its processes go away mid-command.
    const p = sh(c.start, { detached: true });
    await new Promise((r) => setTimeout(r, 700));
    process.kill(-p.pid!, "SIGKILL");
    expect((await p).exitCode).not.toBe(4);
    const a = await sh(c.attach);
    expect([a.exitCode, a.stdout]).toEqual([4, "begun\nfinished"]);
  });

  it("keeps only the last 64 KiB of a chatty command's output", async () => {
    const c = detachedCommands("chatty", "head -c 300000 /dev/zero | tr '\\0' x; echo END", base);
    const r = await sh(c.start);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBeLessThanOrEqual(65536);
    expect(r.stdout.endsWith("xEND")).toBe(true);
  });

  it("kill ends the command's whole session, and a waiter learns the runner is gone", async () => {
    const c = detachedCommands("long", "sleep 300 & sleep 300; wait", base);
    const p = sh(c.start);
    await new Promise((r) => setTimeout(r, 700));
    expect((await sh(c.kill)).exitCode).toBe(0);
    const r = await p;
    expect(r.exitCode).not.toBe(0);
    expect((await execa("pgrep", ["-f", "sleep 300"], { reject: false })).stdout).toBe("");
  });

  it("attach to a command never started fails at once with the runner-vanished status", async () => {
    const r = await sh(detachedCommands("never", "true", base).attach);
    expect(r.exitCode).toBe(RUNNER_VANISHED);
    expect(r.stderr).toMatch(/no such detached command: never/);
  });

  it("refuses an id that is not a plain name", () => {
    expect(() => detachedCommands("../x", "true")).toThrow(/plain name/);
  });
});
