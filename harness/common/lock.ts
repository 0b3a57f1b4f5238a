/**
 * A lock so that two builds of the same thing (two `hangar run`s, or a run and a `hangar image
 * build`) do not collide: the second waits, with a deadline, then finds it built.
 *
 * On `proper-lockfile`: the lock is a directory made with mkdir (atomic, and it has no contents
 * that a full disk could leave half-written), its mtime refreshed while held; a lock not
 * refreshed for STALE_MS (its holder died, or the machine was reset) is taken over. Who holds
 * it is written beside it (`<lock>.holder`, best effort) for the waiting message.
 */
import { lstat, readFile, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import lockfile from "proper-lockfile";
import { formatMs, sleep } from "./deadline.ts";
import { EXIT, HangarError } from "./errors.ts";
import { errorMessage, type EventSink } from "./events.ts";

/** A lock not refreshed for this long is stale. */
export const STALE_MS = 60_000;
/** How often a held lock's mtime is refreshed. */
const UPDATE_MS = 10_000;

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  deadlineMs: number;
  pollMs?: number;
  sink?: EventSink;
  /** Step name for progress events while waiting. */
  step?: string;
  what?: string;
  signal?: AbortSignal;
  /** Override STALE_MS (tests). At least 2 s (proper-lockfile's minimum). */
  staleMs?: number;
}

/** Waiting for a lock failed (deadline, cancelled, or the lock cannot be made): exit 3, naming the lock. */
export class LockError extends HangarError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.infra, options);
  }
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

/**
 * A lock path left as a plain file by hangar before proper-lockfile: removed when it is older
 * than `staleMs` and its holder (JSON {pid, host}) is not a live process of this host. An empty
 * or half-written one (a full disk) names no holder, so it goes once it is old enough.
 */
async function removeOldFileLock(path: string, staleMs: number): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile() || Date.now() - st.mtimeMs <= staleMs) return;
  let holder: { pid?: unknown; host?: unknown } = {};
  try {
    holder = JSON.parse(await readFile(path, "utf8")) as typeof holder;
  } catch {
    /* empty or half-written */
  }
  if (typeof holder.pid === "number" && holder.host === hostname() && pidAlive(holder.pid)) return;
  await unlink(path).catch(() => undefined);
}

export async function withLock<T>(path: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const staleMs = Math.max(2000, opts.staleMs ?? STALE_MS);
  const end = Date.now() + opts.deadlineMs;
  const holderFile = `${path}.holder`;
  let told = false;
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  for (;;) {
    if (opts.signal?.aborted) throw new LockError(`waiting for lock ${path}: aborted`);
    await removeOldFileLock(path, staleMs);
    try {
      release = await lockfile.lock(path, {
        lockfilePath: path,
        realpath: false,
        stale: staleMs,
        update: Math.min(UPDATE_MS, staleMs / 2),
        retries: 0,
        onCompromised: (err) => {
          // Never throw from a timer (proper-lockfile's default): say so, and let the holder finish.
          compromised = err;
          opts.sink?.emit({ type: "log", level: "warn", message: `lock ${path} was lost while held: ${err.message}` });
        },
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw new LockError(`cannot take lock ${path}: ${errorMessage(err)}`, { cause: err });
    }
    const holder = (await readFile(holderFile, "utf8").catch(() => "")).trim();
    if (!told) {
      told = true;
      opts.sink?.emit({
        type: "progress",
        step: opts.step ?? "lock",
        message: `waiting for another build to finish (lock ${path}${holder ? `: ${holder}` : ""})`,
      });
    }
    if (Date.now() >= end) throw new LockError(`waiting for lock ${path} held by ${holder || "?"}: no answer within ${formatMs(opts.deadlineMs)}`);
    await sleep(Math.min(opts.pollMs ?? 2000, Math.max(1, end - Date.now())), opts.signal);
  }
  const me = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...(opts.what ? { what: opts.what } : {}) };
  await writeFile(holderFile, JSON.stringify(me) + "\n").catch(() => undefined);
  try {
    return await fn();
  } finally {
    // A compromised lock (and its holder note) may belong to someone else by now: leave them alone.
    if (!compromised) {
      await unlink(holderFile).catch(() => undefined);
      await release().catch(() => undefined);
    }
  }
}
