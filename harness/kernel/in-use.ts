/**
 * Kernels in use: a run marks the built kernel it boots (`useKernel`), and `kernel build
 * --rebuild` waits for those marks to go before it deletes the artifact (bzImage, modules).
 *
 * A mark is a file <cache>/kernels/.users/<id>/<pid>-<random>; a mark whose process is gone
 * (killed, machine reset) does not count and is removed. Taking a mark goes through the
 * kernel's build lock, so a run never marks a kernel that a rebuild is deleting right now.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { formatMs, sleep } from "../common/deadline.ts";
import type { EventSink } from "../common/events.ts";
import { pidAlive, withLock } from "../common/lock.ts";
import { kernelsDir, lockPath } from "./layout.ts";
import { readKernel } from "./meta.ts";
import { kernelTimeout, KernelBuildError } from "./tools.ts";

function usersDir(id: string): string {
  return join(kernelsDir(), ".users", id);
}

/** Processes (other than dead ones) that have marked kernel `id` in use; removes the dead ones' marks. */
export async function kernelUsers(id: string): Promise<number[]> {
  const dir = usersDir(id);
  const pids: number[] = [];
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    const m = /^(\d+)-[0-9a-f]+$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pidAlive(pid)) pids.push(pid);
    else await rm(join(dir, n), { force: true });
  }
  return pids;
}

/**
 * Mark built kernel `id` in use (while a guest boots it and the attempt copies its modules).
 * Waits while a build of the same id runs. Returns the release function (idempotent, never throws).
 */
export async function useKernel(id: string, o: { sink?: EventSink; signal?: AbortSignal; deadlineMs?: number } = {}): Promise<() => Promise<void>> {
  const mark = join(usersDir(id), `${process.pid}-${randomBytes(4).toString("hex")}`);
  const gone = () => new KernelBuildError(`kernel ${id} is not in the cache (any more): hangar kernel list`);
  if (!(await readKernel(id))) throw gone();
  await mkdir(usersDir(id), { recursive: true });
  await withLock(lockPath(id), { deadlineMs: o.deadlineMs ?? kernelTimeout("build") + 30 * 60_000, step: "kernel.use", what: "use", ...(o.sink ? { sink: o.sink } : {}), ...(o.signal ? { signal: o.signal } : {}) }, async () => {
    if (!(await readKernel(id))) throw gone(); // a rebuild took it while we waited
    await writeFile(mark, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + "\n");
  });
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await rm(mark, { force: true }).catch(() => undefined);
  };
}

/**
 * Wait (holding the build lock) until no live process uses kernel `id`: before a rebuild
 * deletes it. Gives up at the deadline with an error naming the users.
 */
export async function waitUntilUnused(id: string, o: { sink?: EventSink; signal?: AbortSignal; deadlineMs?: number; pollMs?: number } = {}): Promise<void> {
  const deadlineMs = o.deadlineMs ?? kernelTimeout("inUse");
  const end = Date.now() + deadlineMs;
  let told = false;
  for (;;) {
    const users = await kernelUsers(id);
    if (!users.length) return;
    if (!told) {
      told = true;
      o.sink?.emit({ type: "progress", step: "kernel.build", message: `kernel ${id} is in use by running guests (pid ${users.join(", ")}); waiting before rebuilding it` });
    }
    if (Date.now() >= end) {
      throw new KernelBuildError(`kernel ${id} is still in use by pid ${users.join(", ")} after ${formatMs(deadlineMs)}: let those runs finish, or build without --rebuild`);
    }
    await sleep(Math.min(o.pollMs ?? 2000, Math.max(1, end - Date.now())), o.signal);
  }
}
