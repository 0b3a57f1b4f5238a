/**
 * A lock file so that two builds of the same image (two `hangar run`s, or a run and an
 * `hangar image build`) do not collide: the second waits, with a deadline, then finds the
 * image built. A lock whose holder process is gone is taken over.
 */
import { open, readFile, rename, unlink, link } from "node:fs/promises";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { DeadlineError, sleep } from "./deadline.ts";
import type { EventSink } from "./events.ts";

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  what?: string;
}

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  deadlineMs: number;
  pollMs?: number;
  sink?: EventSink;
  /** Step name for progress events while waiting. */
  step?: string;
  what?: string;
  signal?: AbortSignal;
}

/** Does a process with this pid exist (on this host)? */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Is the lock described by `text` held by a process that no longer exists (on this host)? */
export function isStale(text: string, host = hostname(), alive: (pid: number) => boolean = pidAlive): boolean {
  let holder: Partial<LockHolder>;
  try {
    holder = JSON.parse(text) as Partial<LockHolder>;
  } catch {
    return false; // being written right now, or foreign: let the age check decide
  }
  if (typeof holder.pid !== "number" || holder.host !== host) return false;
  return !alive(holder.pid);
}

async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  try {
    const fh = await open(path, "wx", 0o644);
    try {
      await fh.writeFile(JSON.stringify(holder) + "\n");
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Move a stale lock away, unless it changed under us (then put the new one back). */
async function breakStale(path: string, seen: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(3).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke it first
  }
  const now = await readFile(aside, "utf8").catch(() => "");
  if (now !== seen) await link(aside, path).catch(() => undefined); // a fresh lock: restore it
  await unlink(aside).catch(() => undefined);
}

export async function withLock<T>(path: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...(opts.what ? { what: opts.what } : {}) };
  const end = Date.now() + opts.deadlineMs;
  let told = false;
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`waiting for lock ${path}: aborted`);
    if (await tryCreate(path, me)) break;
    const text = await readFile(path, "utf8").catch(() => "");
    if (text && isStale(text)) {
      opts.sink?.emit({ type: "log", level: "warn", message: `taking over stale lock ${path} (${text.trim()})` });
      await breakStale(path, text);
      continue;
    }
    if (!told) {
      told = true;
      opts.sink?.emit({
        type: "progress",
        step: opts.step ?? "lock",
        message: `waiting for another build to finish (lock ${path}${text ? `: ${text.trim()}` : ""})`,
      });
    }
    if (Date.now() >= end) throw new DeadlineError(`waiting for lock ${path} held by ${text.trim() || "?"}`, opts.deadlineMs);
    await sleep(Math.min(opts.pollMs ?? 2000, Math.max(1, end - Date.now())), opts.signal);
  }
  try {
    return await fn();
  } finally {
    // Remove only our own lock.
    const text = await readFile(path, "utf8").catch(() => "");
    try {
      const h = JSON.parse(text) as Partial<LockHolder>;
      if (h.pid === me.pid && h.startedAt === me.startedAt) await unlink(path);
    } catch {
      /* not ours or gone */
    }
  }
}
