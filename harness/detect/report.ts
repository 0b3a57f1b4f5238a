/** Turn a collected block of lines into a Report: title, frames, details, signature. */
import { frameOf, isQuestionableFrame } from "./frames.ts";
import { extractTitle } from "./titles/index.ts";
import { lockdepInfo } from "./lockdep.ts";
import { warningInfo } from "./warning.ts";
import { hungTaskOf, oomKilledOf, oopsTaskOf } from "./tasks.ts";
import { computeSignature } from "./signature.ts";
import type { OpenReport } from "./stream.ts";
import type { Report } from "./types.ts";

const MAX_FRAMES = 256;
const SECOND_REPORT_RE = /vmalloc: allocation failure:|FAULT_INJECTION: forcing a failure|FAULT_FLAG_ALLOW_RETRY missing/;

export function buildReport(r: OpenReport): Report {
  const all = r.lines;
  const preamble = all.slice(0, r.bodyStart).map((l) => l.text);
  const body: string[] = [];
  for (let i = r.bodyStart; i < all.length; i++) {
    const t = all[i]!.text;
    if (isQuestionableFrame(t) || t.includes("Disabling lock debugging due to kernel taint")) continue;
    body.push(t);
  }
  // messages that carry their own stack: without caller ids they would lend it to the report (syzkaller)
  let titleBody = body;
  if (r.ctx === "" || r.ctx === "console") {
    const cut = body.findIndex((t, i) => i > 0 && SECOND_REPORT_RE.test(t));
    if (cut > 0) titleBody = body.slice(0, cut);
  }
  const tr = extractTitle(titleBody, r.header, r.headerIndex);

  const frames: string[] = [];
  for (const t of body) {
    const f = frameOf(t);
    if (f !== undefined) {
      frames.push(f);
      if (frames.length >= MAX_FRAMES) break;
    }
  }

  let corruptedReason = tr.corrupted;
  if (r.truncated) corruptedReason = corruptedReason ? `${r.truncated}; ${corruptedReason}` : r.truncated;

  const first = all[0]!;
  const last = all[all.length - 1]!;
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  for (const l of all) if (l.ts !== undefined) { firstTs = l.ts; break; }
  for (let i = all.length - 1; i >= 0; i--) if (all[i]!.ts !== undefined) { lastTs = all[i]!.ts; break; }

  const guilty = tr.frame && tr.frame !== "corrupted" ? tr.frame : undefined;
  const rep: Report = {
    kind: tr.kind,
    title: tr.title,
    corrupted: corruptedReason !== undefined,
    signature: "",
    frames,
    keyFrames: guilty ? tr.keyFrames.slice(0, 8) : [],
    startLine: first.n,
    endLine: last.n,
    count: 1,
    text: all.map((l) => l.raw).join("\n"),
  };
  if (corruptedReason) rep.corruptedReason = corruptedReason;
  if (guilty) rep.guiltyFrame = guilty;
  if (firstTs !== undefined) rep.firstTimestamp = firstTs;
  if (lastTs !== undefined) rep.lastTimestamp = lastTs;

  const task = rep.kind === "hung-task" ? hungTaskOf(body) : oopsTaskOf(body);
  if (task) rep.task = task;
  if (rep.kind === "lockdep") rep.lockdep = lockdepInfo(tr.lockdepType ?? "other", body);
  if (rep.kind === "warning" || r.header.header === "WARNING:") {
    if (rep.kind === "warning") rep.warning = warningInfo(preamble, body, r.headerIndex);
  }
  if (rep.kind === "oom") {
    const killed = oomKilledOf(body);
    if (killed) rep.oom = { killed };
  }
  rep.signature = computeSignature({
    kind: rep.kind,
    title: rep.title,
    guiltyFrame: rep.guiltyFrame,
    keyFrames: rep.keyFrames ?? [],
    lockdep: rep.lockdep,
    flushDependency: rep.warning?.flushDependency,
  });
  return rep;
}
