import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildLog } from "../../../harness/common/build-log.ts";
import { exitCodeOf, HangarError } from "../../../harness/common/errors.ts";
import { pidAlive } from "../../../harness/common/lock.ts";
import { runTool, ToolError } from "../../../harness/common/run-tool.ts";

const dir = await mkdtemp(join(tmpdir(), "hangar-runtool-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
let n = 0;
const newLog = () => new BuildLog(join(dir, `log-${n++}`));

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !pidAlive(pid);
}

describe("runTool", () => {
  it("runs an argument array (no shell), logs the command line and every output line", async () => {
    const log = newLog();
    const lines: string[] = [];
    await runTool("printf", ["%s\\n", "a b", "$HOME;x"], { timeoutMs: 10_000, log, onLine: (l) => lines.push(l) });
    await log.close();
    expect(lines).toEqual(["a b", "$HOME;x"]);
    const text = await readFile(log.path, "utf8");
    expect(text).toMatch(/^\$ printf "%s\\\\n" "a b" "\$HOME;x"\n/);
    expect(text).toMatch(/# printf ok in/);
  });

  it("a failure is an infrastructure error (exit 3) with the log's tail, or the caller's error class", async () => {
    const log = newLog();
    const err = await runTool("sh", ["-c", "echo oops; exit 3"], { timeoutMs: 10_000, log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toMatch(/^sh -c "echo oops; exit 3" exited with status 3; last lines of .*\n[^]*oops/);
    class MyError extends HangarError {
      constructor(message: string, readonly logPath?: string) {
        super(message);
      }
    }
    const err2 = await runTool("false", [], { timeoutMs: 10_000, log, errorClass: MyError, shownArgs: 0 }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(MyError);
    expect((err2 as Error).message).toMatch(/^false exited with status 1;/);
    await log.close();
  });

  it("on its deadline, kills the whole process group (children too)", async () => {
    const log = newLog();
    let child = 0;
    const err = await runTool("sh", ["-c", "sleep 30 & echo $!; wait"], {
      timeoutMs: 500, killGraceMs: 200, log,
      onLine: (l) => (child = Number(l)),
    }).catch((e: unknown) => e);
    await log.close();
    expect((err as Error).message).toMatch(/timed out after/);
    expect(child).toBeGreaterThan(0);
    expect(await waitGone(child, 5000)).toBe(true);
  });

  it("stops when its signal aborts", async () => {
    const log = newLog();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const err = await runTool("sleep", ["30"], { timeoutMs: 60_000, killGraceMs: 200, log, signal: ac.signal }).catch((e: unknown) => e);
    await log.close();
    expect((err as Error).message).toMatch(/was cancelled/);
  });
});
