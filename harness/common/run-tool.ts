/**
 * Run one host tool of a build (mmdebstrap, mkfs, make, patch, tar…): an argument array (no
 * shell), a deadline, every output line into the build log, cancellation by an AbortSignal.
 * The tool runs in its own process group, so that its children (make's compilers, mmdebstrap's
 * apt) die with it on a deadline, on cancellation and on Ctrl-C (shutdown killers).
 */
import { createInterface } from "node:readline";
import { execa, ExecaError } from "execa";
import { HangarError } from "./errors.ts";
import { formatMs } from "./deadline.ts";
import { errorMessage } from "./events.ts";
import { onShutdownKill } from "./shutdown.ts";
import type { BuildLog } from "./build-log.ts";

/** A tool that failed, timed out or was cancelled: an infrastructure failure (exit 3) naming the log. */
export class ToolError extends HangarError {
  constructor(
    message: string,
    readonly logPath?: string,
  ) {
    super(message);
  }
}

export interface ToolOptions {
  timeoutMs: number;
  log: BuildLog;
  cwd?: string;
  /** Added to the environment (LC_ALL=C unless given). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Every output line (already logged). */
  onLine?: (line: string) => void;
  /** Lines of log tail in the error message (default 30). */
  tailLines?: number;
  /** The error to throw on failure (the caller's own class, e.g. KernelBuildError); default ToolError. */
  errorClass?: new (message: string, logPath?: string) => Error;
  /** Grace between SIGTERM and SIGKILL on a deadline or cancellation (default 10 s). */
  killGraceMs?: number;
  /** Arguments shown in the error message after the command name (default 6). */
  shownArgs?: number;
}

/** A command line for people and logs: arguments quoted when they need it. */
export function showCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

export async function runTool(cmd: string, args: readonly string[], o: ToolOptions): Promise<void> {
  o.log.line(`$ ${showCommand(cmd, args)}`);
  const t0 = Date.now();
  const grace = o.killGraceMs ?? 10_000;
  const child = execa(cmd, [...args], {
    ...(o.cwd ? { cwd: o.cwd } : {}),
    detached: true,
    stdin: "ignore",
    all: true,
    buffer: false,
    env: { LC_ALL: "C", ...(o.env ?? {}) },
    extendEnv: true,
  });
  const pid = child.pid;
  // The deadline and cancellation end the whole process group at once: a grandchild that
  // keeps the output pipe open (make's compilers, a backgrounded sleep) must not outlive it.
  let stopped: "timeout" | "cancel" | undefined;
  const timers: NodeJS.Timeout[] = [];
  const stop = (why: "timeout" | "cancel") => {
    if (stopped) return;
    stopped = why;
    signalGroup(pid, "SIGTERM");
    timers.push(setTimeout(() => signalGroup(pid, "SIGKILL"), grace));
    // Last resort (a process that left the group still holds the pipe): stop reading it.
    timers.push(setTimeout(() => child.all?.destroy(), grace + 5_000));
  };
  timers.push(setTimeout(() => stop("timeout"), o.timeoutMs));
  const onAbort = () => stop("cancel");
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener("abort", onAbort, { once: true });
  const unregister = onShutdownKill(() => signalGroup(pid, "SIGKILL"));
  const rl = createInterface({ input: child.all! });
  rl.on("line", (line) => {
    o.log.line(line);
    o.onLine?.(line);
  });
  try {
    await child;
    if (stopped) throw new Error("stopped"); // exited 0 after SIGTERM: still a timeout / cancellation
  } catch (err) {
    signalGroup(pid, "SIGKILL");
    let why: string;
    if (stopped === "timeout") why = `timed out after ${formatMs(o.timeoutMs)}`;
    else if (stopped === "cancel") why = "was cancelled";
    else if (err instanceof ExecaError) {
      if (err.exitCode !== undefined) why = `exited with status ${err.exitCode}`;
      else if (err.signal) why = `was killed by ${err.signal}`;
      else why = err.shortMessage;
    } else why = errorMessage(err);
    o.log.line(`# ${cmd} ${why} after ${formatMs(Date.now() - t0)}`);
    const k = o.shownArgs ?? 6;
    const shown = `${showCommand(cmd, args.slice(0, k))}${args.length > k && k > 0 ? " …" : ""}`;
    const Err = o.errorClass ?? ToolError;
    throw new Err(`${shown} ${why}; last lines of ${o.log.path}:\n${o.log.tail(o.tailLines ?? 30)}\n(full log: ${o.log.path})`, o.log.path);
  } finally {
    for (const t of timers) clearTimeout(t);
    o.signal?.removeEventListener("abort", onAbort);
    unregister();
    rl.close();
  }
  o.log.line(`# ${cmd} ok in ${formatMs(Date.now() - t0)}`);
}
