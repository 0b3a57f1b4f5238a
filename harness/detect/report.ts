/** Turn a collected block of lines into a Report: title, frames, details, signature. */
import { frameOf, isQuestionableFrame } from "./frames.ts";
import { extractTitle } from "./titles/index.ts";
import { lockdepInfo } from "./lockdep.ts";
import { warningInfo } from "./warning.ts";
import { hungTaskOf, oomKilledOf, oopsTaskOf } from "./tasks.ts";
import { computeSignature } from "./signature.ts";
import { tsOf, type Line } from "./prefix.ts";
import type { OpenReport } from "./stream.ts";
import type { LockdepInfo, Report, ReportKind, TaskRef, WarningInfo } from "./types.ts";

const MAX_FRAMES = 256;
const SECOND_REPORT_RE = /vmalloc: allocation failure:|FAULT_INJECTION: forcing a failure|FAULT_FLAG_ALLOW_RETRY missing/;

/**
 * Everything of a report that depends only on its (prefix-stripped) lines, the header and the cut
 * reason — not on line numbers, timestamps or raw prefixes. Repeated reports (a hung task every
 * interval, a WARNING in a loop) share it.
 */
interface Derived {
  kind: ReportKind;
  title: string;
  corruptedReason?: string;
  guilty?: string;
  frames: string[];
  keyFrames: string[];
  task?: { comm: string; pid: number; state?: string };
  lockdep?: LockdepInfo;
  warning?: WarningInfo;
  killed?: TaskRef;
  signature: string;
}

/**
 * Where the output a report caused starts, after more than `after` lines of it (syzkaller's findReport):
 * the panic of panic_on_warn (with a stack of its own), or lockdep's complaint about the locks the
 * oops left held. -1 when there is none.
 */
function followUpStart(body: readonly string[], after: number): number {
  for (let i = after + 1; i < body.length; i++) {
    const t = body[i]!;
    if (t.includes("Kernel panic - not syncing") || t.includes("WARNING: possible circular locking dependency detected")) return i;
  }
  return -1;
}

/**
 * The body lines and their frames of the report being derived: scratch arrays, reused from report to
 * report (and emptied after each, so that they keep no input alive).
 */
const BODY: string[] = [];
const BODY_FRAMES: (string | undefined)[] = [];

function derive(r: OpenReport): Derived {
  try {
    return deriveInto(r, BODY, BODY_FRAMES);
  } finally {
    BODY.length = 0;
    BODY_FRAMES.length = 0;
  }
}

function deriveInto(r: OpenReport, body: string[], bodyFrames: (string | undefined)[]): Derived {
  const all = r.lines;
  const preamble: string[] = [];
  for (let i = 0; i < r.bodyStart; i++) preamble.push(all[i]!.text);
  // frameOf of each body line, computed once (the title search walks the stack several times)
  for (let i = r.bodyStart; i < all.length; i++) {
    const t = all[i]!.text;
    if (isQuestionableFrame(t) || t.includes("Disabling lock debugging due to kernel taint")) continue;
    body.push(t);
    bodyFrames.push(frameOf(t));
  }
  // messages that carry their own stack: without caller ids they would lend it to the report (syzkaller)
  let titleBody = body;
  let titleFrames = bodyFrames;
  if (r.continuation) {
    // with caller ids, what the same task printed next (the report that cut this one short) counts too
    titleBody = body.slice();
    titleFrames = bodyFrames.slice();
    for (const l of r.continuation) {
      const t = l.text;
      if (isQuestionableFrame(t) || t.includes("Disabling lock debugging due to kernel taint")) continue;
      titleBody.push(t);
      titleFrames.push(frameOf(t));
    }
  } else if (r.ctx === "" || r.ctx === "console") {
    let cut = -1;
    for (let i = 1; i < body.length; i++) {
      const t = body[i]!;
      if (t.indexOf("vmalloc") < 0 && t.indexOf("FAULT_") < 0) continue;
      if (SECOND_REPORT_RE.test(t)) {
        cut = i;
        break;
      }
    }
    if (cut > 0) titleBody = body.slice(0, cut);
  }
  const stop = followUpStart(titleBody, titleBody[0]?.includes("BUG: KMSAN:") ? 16 : 22);
  if (stop > 0) titleBody = titleBody.slice(0, stop);
  const tr = extractTitle(titleBody, r.header, r.headerIndex, titleFrames);

  const frames: string[] = [];
  for (const f of bodyFrames) {
    if (f !== undefined) {
      frames.push(f);
      if (frames.length >= MAX_FRAMES) break;
    }
  }

  let corruptedReason = tr.corrupted;
  if (r.truncated) corruptedReason = corruptedReason ? `${r.truncated}; ${corruptedReason}` : r.truncated;
  if (r.disconnected) corruptedReason = corruptedReason ? `${corruptedReason}; ${VM_DISCONNECTED_REASON}` : VM_DISCONNECTED_REASON;
  const guilty = tr.frame && tr.frame !== "corrupted" ? tr.frame : undefined;
  const d: Derived = {
    kind: tr.kind,
    title: tr.title,
    frames,
    keyFrames: guilty ? tr.keyFrames.slice(0, 8) : [],
    signature: "",
  };
  if (corruptedReason) d.corruptedReason = corruptedReason;
  if (guilty) d.guilty = guilty;
  const task = d.kind === "hung-task" ? hungTaskOf(body) : oopsTaskOf(body);
  if (task) d.task = task;
  if (d.kind === "lockdep") d.lockdep = lockdepInfo(tr.lockdepType ?? "other", body);
  if (d.kind === "warning") d.warning = warningInfo(preamble, body, r.headerIndex);
  if (d.kind === "oom") {
    const killed = oomKilledOf(body);
    if (killed) d.killed = killed;
  }
  d.signature = computeSignature({
    kind: d.kind,
    title: d.title,
    guiltyFrame: d.guilty,
    keyFrames: d.keyFrames,
    lockdep: d.lockdep,
    flushDependency: d.warning?.flushDependency,
  });
  return d;
}

/**
 * syz-manager's line when the guest's serial console went away: syzkaller flags a log that holds it
 * corrupted (notes §7, "anywhere in the output"). The collector marks the reports still open at that
 * line (stream.ts): the ones the disconnect cut. Reports that ended before it are not marked, so that
 * a report does not depend on lines after it (the streaming parser has emitted it by then).
 */
export const VM_DISCONNECTED = "serialport: VM disconnected.";
const VM_DISCONNECTED_REASON = "the VM disconnected (serialport: VM disconnected.)";

/**
 * The report text: its raw lines. @param source the whole text the lines' offsets (Line.off) point
 * into: when the lines are consecutive lines of it, the text is cut out of it instead of copied.
 */
export function joinRaw(all: Line[], source?: string): string {
  if (source !== undefined && all.length > 0) {
    const first = all[0]!.off;
    let end = first + all[0]!.raw.length;
    let i = 1;
    if (first >= 0) for (; i < all.length && all[i]!.off === end + 1; i++) end = all[i]!.off + all[i]!.raw.length;
    if (first >= 0 && i === all.length) return source.slice(first, end);
  }
  const raws = new Array<string>(all.length);
  for (let i = 0; i < all.length; i++) raws[i] = all[i]!.raw;
  return raws.join("\n");
}

/** The length joinRaw(all) has. */
export function joinRawLength(all: Line[]): number {
  let n = all.length - 1;
  for (let i = 0; i < all.length; i++) n += all[i]!.raw.length;
  return n;
}

/** The Report of derived data (made for this report alone: nothing in it is shared) and the lines. */
function assemble(d: Derived, r: OpenReport, lazyText: boolean): Report {
  const all = r.lines;
  const first = all[0]!;
  const last = all[all.length - 1]!;
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  for (let i = 0; i < all.length; i++) if (all[i]!.tsKind !== 0) { firstTs = tsOf(all[i]!); break; }
  for (let i = all.length - 1; i >= 0; i--) if (all[i]!.tsKind !== 0) { lastTs = tsOf(all[i]!); break; }
  const text = lazyText ? "" : joinRaw(all);

  const rep: Report = {
    kind: d.kind,
    title: d.title,
    corrupted: d.corruptedReason !== undefined,
    signature: d.signature,
    frames: d.frames,
    keyFrames: d.keyFrames,
    startLine: first.n,
    endLine: last.n,
    count: 1,
    text,
  };
  if (d.corruptedReason) rep.corruptedReason = d.corruptedReason;
  if (d.guilty) rep.guiltyFrame = d.guilty;
  if (firstTs !== undefined) rep.firstTimestamp = firstTs;
  if (lastTs !== undefined) rep.lastTimestamp = lastTs;
  if (d.task) rep.task = d.task;
  if (d.lockdep) rep.lockdep = d.lockdep;
  if (d.warning) rep.warning = d.warning;
  if (d.killed) rep.oom = { killed: d.killed };
  return rep;
}

/**
 * The report builder of a collector. @param lazyText reports come out with `text: ""` (the batch
 * parser builds the text of the one report per key it keeps).
 *
 * There is no cache of repeated reports: the benchmark on logs of distinct reports (bench/parse.ts)
 * meets its targets without one, and a cache only pays off on logs that repeat the same report body.
 */
export function createReportBuilder(lazyText = false): (r: OpenReport) => Report {
  return (r) => assemble(derive(r), r, lazyText);
}
