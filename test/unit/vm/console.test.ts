import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConsoleFollower } from "../../../harness/vm/console.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hangar-console-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ConsoleFollower", () => {
  it("splits CRLF serial output into lines, across chunk boundaries, and flushes the last partial line", async () => {
    const f = join(dir, "console.log");
    await writeFile(f, "");
    const c = new ConsoleFollower(f, { intervalMs: 10, chunk: 7 });
    const lines: string[] = [];
    c.onLine((l) => lines.push(l));
    c.start();
    await appendFile(f, "[    1.0] hello\r\n[    2.0] wor");
    await appendFile(f, "ld\r\nlast");
    await new Promise((r) => setTimeout(r, 200));
    await c.stop();
    expect(lines).toEqual(["[    1.0] hello", "[    2.0] world", "last"]);
  });

  it("caps line length and skips a flood beyond its backlog, saying so", async () => {
    const f = join(dir, "console.log");
    await writeFile(f, "x".repeat(10_000) + "\n" + "y\n".repeat(50_000));
    const c = new ConsoleFollower(f, { intervalMs: 10, chunk: 4096, maxLine: 100, maxBacklog: 8192 });
    const lines: string[] = [];
    c.onLine((l) => lines.push(l));
    c.start();
    await new Promise((r) => setTimeout(r, 100));
    await c.stop();
    expect(lines.every((l) => l.length <= 100)).toBe(true);
    expect(lines.some((l) => l.startsWith("hangar: console flood: skipped"))).toBe(true);
    expect(c.bytesSkipped).toBeGreaterThan(0);
    // Bounded: far fewer lines than were written.
    expect(lines.length).toBeLessThan(20_000);
  });

  it("waits for a console file that does not exist yet", async () => {
    const f = join(dir, "later.log");
    const c = new ConsoleFollower(f, { intervalMs: 10 });
    const lines: string[] = [];
    c.onLine((l) => lines.push(l));
    c.start();
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(f, "boot\n");
    await new Promise((r) => setTimeout(r, 100));
    await c.stop();
    expect(lines).toEqual(["boot"]);
  });
});
