/** WARNING details: source location, message, and the workqueue flush-dependency pair. */
import type { FlushDependency, WarningInfo } from "./types.ts";

// `workqueue: WQ_MEM_RECLAIM %s:%ps is flushing !WQ_MEM_RECLAIM %s:%ps` (kernel/workqueue.c); a `%ps`
// may carry a ` [module]` tag. Each part is a class its neighbours cannot match, so matching is linear.
const WQ_WORK = String.raw`([^\s:]+):([^\s\[\]]+)(?: \[[^\]\s]*\])?`;
const FLUSH_RE = new RegExp(String.raw`workqueue: WQ_MEM_RECLAIM ${WQ_WORK} is flushing !WQ_MEM_RECLAIM ${WQ_WORK}[ \t]*$`);
const FLUSH_PF_RE = new RegExp(String.raw`workqueue: PF_MEMALLOC task [0-9]+\(([^()]+)\) is flushing !WQ_MEM_RECLAIM ${WQ_WORK}[ \t]*$`);

export function flushDependencyOf(text: string): FlushDependency | undefined {
  if (!text.includes("is flushing !WQ_MEM_RECLAIM")) return undefined;
  const m = FLUSH_RE.exec(text);
  if (m) return { flushingWq: m[1]!, flushingWork: m[2]!, flushedWq: m[3]!, flushedWork: m[4]! };
  const p = FLUSH_PF_RE.exec(text);
  if (p) return { flushingWq: "PF_MEMALLOC", flushingWork: p[1]!, flushedWq: p[2]!, flushedWork: p[3]! };
  return undefined;
}

const SRC_AT = /WARNING: .*? at ([a-zA-Z0-9\-_/.]+\.[a-z]+):([0-9]+)/;
const SRC_FIRST = /WARNING: ([a-zA-Z0-9\-_/.]+\.[a-z]+):([0-9]+) at /;
const NOT_MESSAGE = /^(?:Modules linked in|CPU: |Hardware name|RIP: |pc : |Call Trace|Kernel panic|irq event stamp|Workqueue:|---\[|\s*$)/;

/**
 * @param preamble lines printed before the WARNING line (modern kernels print the WARN message there)
 * @param body lines from the WARNING line on
 */
export function warningInfo(preamble: string[], body: string[], headerIndex: number): WarningInfo {
  const info: WarningInfo = {};
  const head = body[0] ?? "";
  const src = SRC_FIRST.exec(head) ?? SRC_AT.exec(head);
  if (src) {
    info.file = src[1]!;
    info.line = Number(src[2]);
  }
  const pre = preamble.filter((t) => t.trim() !== "" && !t.includes("cut here") && !/^=+$/.test(t));
  if (pre.length) info.message = pre[pre.length - 1]!.trim();
  else if (!src) info.message = head.slice(headerIndex + "WARNING:".length).trim() || undefined;
  else if (body[1] !== undefined && !NOT_MESSAGE.test(body[1])) info.message = body[1].trim();
  if (info.message === undefined) delete info.message;
  for (const t of [...preamble, ...body.slice(0, 12)]) {
    const fd = flushDependencyOf(t);
    if (fd) {
      info.flushDependency = fd;
      break;
    }
  }
  return info;
}
