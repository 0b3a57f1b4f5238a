/**
 * The host tools of a kernel build: their deadlines, the build's error class, and `kernelTool`
 * (common/run-tool.ts's runTool, failing with a KernelBuildError).
 */
import { execa } from "execa";
import { HangarError } from "../common/errors.ts";
import { runTool, type ToolOptions } from "../common/run-tool.ts";
import { MAX_TIMER_MS, timeScale } from "../common/timeouts.ts";

/** A kernel build step failed (a tool, a config that did not stick, a module): exit 3, naming the log. */
export class KernelBuildError extends HangarError {
  constructor(
    message: string,
    readonly logPath?: string,
  ) {
    super(message);
  }
}

/** Deadlines of the build's child processes (read them through kernelTimeout: scaled). */
const KERNEL_TIMEOUTS = {
  unpack: 20 * 60_000,
  copy: 30 * 60_000,
  patch: 5 * 60_000,
  config: 10 * 60_000,
  build: 3 * 60 * 60_000,
  modules: 15 * 60_000,
  query: 60_000,
  /** How long `--rebuild` waits for running guests to stop using the kernel (in-use.ts). */
  inUse: 2 * 60 * 60_000,
} as const;

/** A kernel build deadline, scaled by --time-scale / HANGAR_TIME_SCALE like the orchestrator's own. */
export function kernelTimeout(name: keyof typeof KERNEL_TIMEOUTS): number {
  return Math.min(MAX_TIMER_MS, Math.round(KERNEL_TIMEOUTS[name] * timeScale()));
}

/** Run one tool of a kernel build; a failure is a KernelBuildError. */
export function kernelTool(cmd: string, args: readonly string[], o: Omit<ToolOptions, "errorClass">): Promise<void> {
  return runTool(cmd, args, { ...o, errorClass: KernelBuildError });
}

/** A short query (dpkg-query, git rev-parse…): stdout, or undefined when it fails. */
export async function query(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string | undefined> {
  const r = await execa(cmd, args, { reject: false, timeout: opts.timeoutMs ?? kernelTimeout("query"), stdin: "ignore", ...(opts.cwd ? { cwd: opts.cwd } : {}), env: { LC_ALL: "C" } });
  return r.exitCode === 0 ? String(r.stdout) : undefined;
}
