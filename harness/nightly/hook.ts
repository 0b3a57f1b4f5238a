/**
 * `--on-regression CMD [ARGS…]`: after a night with a regression, run CMD with ARGS and the path of
 * nightly.json as its last argument (an argument array: no shell), for mail or chat. It also gets
 * HANGAR_NIGHTLY_SUMMARY and HANGAR_NIGHTLY_RUN in its environment. It has a deadline; its failure
 * is reported but does not change the night's exit code (the night did regress).
 */
import { execa } from "execa";
import { lastLines, type EventSink } from "../common/index.ts";

export const HOOK_TIMEOUT_MS = 5 * 60_000;

export interface HookResult {
  command: string[];
  exitCode?: number;
  timedOut: boolean;
  error?: string;
}

export async function runRegressionHook(cmd: readonly string[], o: { summaryPath: string; runId: string; sink: EventSink; timeoutMs?: number }): Promise<HookResult> {
  const [file, ...args] = cmd;
  if (!file) return { command: [], timedOut: false, error: "no command given" };
  const command = [file, ...args, o.summaryPath];
  o.sink.emit({ type: "step", step: "nightly.on-regression", status: "start", detail: command.join(" ") });
  const r = await execa(file, [...args, o.summaryPath], {
    reject: false,
    timeout: o.timeoutMs ?? HOOK_TIMEOUT_MS,
    forceKillAfterDelay: 5_000,
    stdin: "ignore",
    all: true,
    env: { HANGAR_NIGHTLY_SUMMARY: o.summaryPath, HANGAR_NIGHTLY_RUN: o.runId },
  });
  const out = typeof r.all === "string" ? r.all : "";
  const ok = !r.failed;
  const error = ok ? undefined : r.timedOut ? `timed out after ${(o.timeoutMs ?? HOOK_TIMEOUT_MS) / 1000} s` : r.exitCode !== undefined ? `exited ${r.exitCode}` : r.shortMessage;
  o.sink.emit({ type: "step", step: "nightly.on-regression", status: ok ? "done" : "fail", detail: `${command.join(" ")}${error ? `: ${error}` : ""}${out.trim() ? ` — ${lastLines(out, 3)}` : ""}` });
  return { command, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), timedOut: !!r.timedOut, ...(error ? { error } : {}) };
}
