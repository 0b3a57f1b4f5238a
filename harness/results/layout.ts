import { join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * On-disk layout of results (documented in results/README.md):
 *   <root>/<run-id>/summary.json, junit.xml, report.html, events.jsonl
 *   <root>/<run-id>/<scenario>/<attempt>/console.log, dmesg.log, reports.json, verdict.json, …
 */
/** Every file name of a run's results, defined once (results/README.md documents them). */
export const FILES = {
  // per run
  summary: "summary.json",
  junit: "junit.xml",
  html: "report.html",
  events: "events.jsonl",
  // per attempt
  console: "console.log",
  dmesg: "dmesg.log",
  reports: "reports.json",
  verdict: "verdict.json",
  storage: "storage.json",
  pressure: "pressure.json",
  qemuLog: "qemu.log",
  qemuCmdline: "qemu.cmdline.json",
} as const;

export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

export function runDir(root: string, runId: string): string {
  return join(root, runId);
}

export function attemptDir(root: string, runId: string, scenario: string, attempt: number): string {
  return join(root, runId, scenario, `attempt-${attempt}`);
}
