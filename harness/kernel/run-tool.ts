/**
 * Run one host tool for a kernel build: argument array, deadline, output into the build log.
 * The tool runs in its own process group so that make's compiler children die with it, on a
 * deadline, on Ctrl-C (shutdown killers) and on cancellation.
 */
import { createInterface } from "node:readline";
import { execa, ExecaError } from "execa";
import { errorMessage, formatMs, onShutdownKill } from "../common/index.ts";
import type { BuildLog } from "../common/build-log.ts";

export class KernelBuildError extends Error {
  override name = "KernelBuildError";
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
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Every output line (already logged). */
  onLine?: (line: string) => void;
  /** Lines of log tail in the error message. */
  tailLines?: number;
}

/** Deadlines of the build's child processes. */
export const KERNEL_TIMEOUTS = {
  unpack: 20 * 60_000,
  copy: 30 * 60_000,
  patch: 5 * 60_000,
  config: 10 * 60_000,
  build: 3 * 60 * 60_000,
  modules: 15 * 60_000,
  query: 60_000,
} as const;

export function showCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

export async function runTool(cmd: string, args: string[], o: ToolOptions): Promise<void> {
  o.log.line(`$ ${showCommand(cmd, args)}`);
  const t0 = Date.now();
  const child = execa(cmd, args, {
    timeout: o.timeoutMs,
    ...(o.signal ? { cancelSignal: o.signal } : {}),
    ...(o.cwd ? { cwd: o.cwd } : {}),
    detached: true,
    killSignal: "SIGTERM",
    forceKillAfterDelay: 10_000,
    stdin: "ignore",
    all: true,
    buffer: false,
    env: { LC_ALL: "C", ...(o.env ?? {}) },
    extendEnv: true,
  });
  const pid = child.pid;
  const unregister = onShutdownKill(() => killGroup(pid));
  const rl = createInterface({ input: child.all! });
  rl.on("line", (line) => {
    o.log.line(line);
    o.onLine?.(line);
  });
  try {
    await child;
  } catch (err) {
    killGroup(pid);
    let why: string;
    if (err instanceof ExecaError) {
      if (err.timedOut) why = `timed out after ${formatMs(o.timeoutMs)}`;
      else if (err.isCanceled) why = "was cancelled";
      else if (err.exitCode !== undefined) why = `exited with status ${err.exitCode}`;
      else if (err.signal) why = `was killed by ${err.signal}`;
      else why = err.shortMessage;
    } else why = errorMessage(err);
    o.log.line(`# ${cmd} ${why} after ${formatMs(Date.now() - t0)}`);
    throw new KernelBuildError(`${showCommand(cmd, args.slice(0, 6))}${args.length > 6 ? " …" : ""} ${why}; last lines of ${o.log.path}:\n${o.log.tail(o.tailLines ?? 30)}\n(full log: ${o.log.path})`, o.log.path);
  } finally {
    unregister();
    rl.close();
  }
  o.log.line(`# ${cmd} ok in ${formatMs(Date.now() - t0)}`);
}

/** A short query (dpkg-query, git rev-parse…): stdout, or undefined when it fails. */
export async function query(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string | undefined> {
  const r = await execa(cmd, args, { reject: false, timeout: opts.timeoutMs ?? KERNEL_TIMEOUTS.query, stdin: "ignore", ...(opts.cwd ? { cwd: opts.cwd } : {}), env: { LC_ALL: "C" } });
  return r.exitCode === 0 ? String(r.stdout) : undefined;
}
