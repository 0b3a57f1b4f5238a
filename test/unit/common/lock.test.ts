import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { LockError, withLock } from "../../../harness/common/lock.ts";
import { exitCodeOf, type HangarEvent } from "../../../harness/common/index.ts";
import { isRoot, tmpfs } from "./tmpfs.ts";

const cleanups: (() => Promise<void>)[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "hangar-lock-"));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("withLock", () => {
  it("serializes two holders; the second waits and says so", async () => {
    const lock = join(await tmp(), "x.lock");
    const events: HangarEvent[] = [];
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = withLock(lock, { deadlineMs: 5000, what: "first" }, async () => {
      order.push("first-in");
      await gate;
      order.push("first-out");
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = withLock(lock, { deadlineMs: 5000, pollMs: 10, sink: { emit: (e) => events.push(e) }, step: "image.build" }, async () => {
      order.push("second-in");
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(["first-in"]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["first-in", "first-out", "second-in"]);
    const waiting = events.find((e) => e.type === "progress");
    expect(waiting && "message" in waiting ? waiting.message : "").toMatch(/waiting for another build.*"what":"first"/);
    expect(await readdir(join(lock, ".."))).toEqual([]); // lock and holder note released
  });

  it("gives up at the deadline with an infrastructure error naming the lock", async () => {
    const lock = join(await tmp(), "x.lock");
    let release!: () => void;
    const held = withLock(lock, { deadlineMs: 1000 }, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    const err = await withLock(lock, { deadlineMs: 200, pollMs: 20 }, async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as Error).message).toContain(lock);
    expect((err as Error).message).toMatch(/no answer within/);
    expect(exitCodeOf(err)).toBe(3);
    release();
    await held;
  });

  it("takes over the lock of a holder that was killed (stale by mtime)", async () => {
    const lock = join(await tmp(), "x.lock");
    const child = execa("node", ["--import", "tsx", join(import.meta.dirname, "hold-lock.ts"), lock], { timeout: 60_000, reject: false });
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await child;
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("the holder did not take the lock within 20 s")), 20_000);
      child.stdout!.on("data", (d: Buffer) => {
        if (String(d).includes("held")) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    child.kill("SIGKILL"); // no exit handlers run: the lock stays, no longer refreshed
    await child;
    expect((await stat(lock)).isDirectory()).toBe(true);
    const t0 = Date.now();
    await expect(withLock(lock, { deadlineMs: 15_000, pollMs: 100, staleMs: 2000 }, async () => "ran")).resolves.toBe("ran");
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 40_000);

  it("keeps a lock held longer than the stale time (refreshed while held)", async () => {
    const lock = join(await tmp(), "x.lock");
    const order: string[] = [];
    const first = withLock(lock, { deadlineMs: 1000, staleMs: 2000 }, async () => {
      order.push("first-in");
      await new Promise((r) => setTimeout(r, 3500));
      order.push("first-out");
    });
    await new Promise((r) => setTimeout(r, 50));
    await withLock(lock, { deadlineMs: 10_000, pollMs: 100, staleMs: 2000 }, async () => order.push("second-in"));
    await first;
    expect(order).toEqual(["first-in", "first-out", "second-in"]);
  }, 15_000);

  it("an empty lock file left by a full disk (hangar before proper-lockfile) does not wedge later builds", async () => {
    const lock = join(await tmp(), "x.lock");
    await writeFile(lock, ""); // what open(wx) + a failed write left
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(lock, old, old);
    await expect(withLock(lock, { deadlineMs: 2000, pollMs: 20 }, async () => "ran")).resolves.toBe("ran");
  });

  it("an old-style lock file whose holder is alive is still respected", async () => {
    const lock = join(await tmp(), "x.lock");
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "" }));
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(lock, old, old);
    await expect(withLock(lock, { deadlineMs: 300, pollMs: 20 }, async () => "ran")).rejects.toBeInstanceOf(LockError);
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), startedAt: "" }));
    await utimes(lock, old, old);
    await expect(withLock(lock, { deadlineMs: 2000, pollMs: 20 }, async () => "ran")).resolves.toBe("ran");
  });

  it.skipIf(!isRoot)("a full disk while taking the lock: a clear error, nothing left behind, fine once space is back", async () => {
    const fs = await tmpfs("size=64k,nr_inodes=4");
    cleanups.push(() => fs.done());
    // Use up the inodes so that mkdir of the lock fails with ENOSPC.
    const fillers: string[] = [];
    for (let i = 0; ; i++) {
      const f = join(fs.dir, `fill-${i}`);
      try {
        await writeFile(f, "");
        fillers.push(f);
      } catch {
        break;
      }
    }
    const lock = join(fs.dir, "x.lock");
    const err = await withLock(lock, { deadlineMs: 5000, pollMs: 20 }, async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as Error).message).toMatch(/x\.lock.*ENOSPC/);
    expect((await readdir(fs.dir)).filter((n) => !n.startsWith("fill-"))).toEqual([]);
    for (const f of fillers) await rm(f);
    const t0 = Date.now();
    await expect(withLock(lock, { deadlineMs: 5000, pollMs: 20 }, async () => "ran")).resolves.toBe("ran");
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it.skipIf(!isRoot)("a read-only folder: an error naming the lock, at once", async () => {
    const fs = await tmpfs("size=64k");
    cleanups.push(() => fs.done());
    await fs.readOnly();
    const err = await withLock(join(fs.dir, "x.lock"), { deadlineMs: 5000 }, async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as Error).message).toMatch(/x\.lock.*EROFS/);
  });
});
