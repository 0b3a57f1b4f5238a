/** Turn a collected block of lines into a Report: title, frames, details, signature. */
import { frameOf, isQuestionableFrame } from "./frames.ts";
import { extractTitle } from "./titles/index.ts";
import { lockdepInfo } from "./lockdep.ts";
import { warningInfo } from "./warning.ts";
import { hungTaskOf, oomKilledOf, oopsTaskOf } from "./tasks.ts";
import { computeSignature } from "./signature.ts";
import { tsOf, type Line } from "./prefix.ts";
import { detach } from "./normalize.ts";
import type { OpenReport } from "./stream.ts";
import type { FlushDependency, LockdepInfo, Report, ReportKind, TaskRef, WarningInfo } from "./types.ts";

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

function derive(r: OpenReport): Derived {
  const all = r.lines;
  const preamble: string[] = [];
  for (let i = 0; i < r.bodyStart; i++) preamble.push(all[i]!.text);
  const body: string[] = [];
  // frameOf of each body line, computed once (the title search walks the stack several times)
  const bodyFrames: (string | undefined)[] = [];
  for (let i = r.bodyStart; i < all.length; i++) {
    const t = all[i]!.text;
    if (isQuestionableFrame(t) || t.includes("Disabling lock debugging due to kernel taint")) continue;
    body.push(t);
    bodyFrames.push(frameOf(t));
  }
  // messages that carry their own stack: without caller ids they would lend it to the report (syzkaller)
  let titleBody = body;
  if (r.ctx === "" || r.ctx === "console") {
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
  const tr = extractTitle(titleBody, r.header, r.headerIndex, bodyFrames);

  const frames: string[] = [];
  for (const f of bodyFrames) {
    if (f !== undefined) {
      frames.push(f);
      if (frames.length >= MAX_FRAMES) break;
    }
  }

  let corruptedReason = tr.corrupted;
  if (r.truncated) corruptedReason = corruptedReason ? `${r.truncated}; ${corruptedReason}` : r.truncated;
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

function detachTask<T extends TaskRef & { state?: string }>(t: T): T {
  const c = { ...t, comm: detach(t.comm) };
  if (t.state !== undefined) c.state = detach(t.state);
  return c;
}

/** Derived data with every string copied (see detach), for the cache. */
function detachDerived(d: Derived): Derived {
  const o: Derived = { ...d, title: detach(d.title), frames: d.frames.map(detach), keyFrames: d.keyFrames.map(detach), signature: detach(d.signature) };
  if (d.corruptedReason !== undefined) o.corruptedReason = detach(d.corruptedReason);
  if (d.guilty !== undefined) o.guilty = detach(d.guilty);
  if (d.task) o.task = detachTask(d.task);
  if (d.lockdep) {
    const l = d.lockdep;
    o.lockdep = { type: detach(l.type), lockClasses: l.lockClasses.map(detach), chain: l.chain.map(detach), tasks: l.tasks.map(detachTask) };
  }
  if (d.warning) {
    const w: WarningInfo = { ...d.warning };
    if (w.file !== undefined) w.file = detach(w.file);
    if (w.message !== undefined) w.message = detach(w.message);
    if (w.flushDependency) {
      const f = w.flushDependency;
      w.flushDependency = { flushingWq: detach(f.flushingWq), flushingWork: detach(f.flushingWork), flushedWq: detach(f.flushedWq), flushedWork: detach(f.flushedWork) };
    }
    o.warning = w;
  }
  if (d.killed) o.killed = detachTask(d.killed);
  return o;
}

const copyTask = (t: TaskRef): TaskRef => ({ comm: t.comm, pid: t.pid });
const copyFlush = (f: FlushDependency): FlushDependency => ({ ...f });

/** The report text: its raw lines. */
export function joinRaw(all: Line[]): string {
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

/** A Report of its own (no arrays or objects shared with other reports) from derived data and the lines. */
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
    frames: d.frames.slice(),
    keyFrames: d.keyFrames.slice(),
    startLine: first.n,
    endLine: last.n,
    count: 1,
    text,
  };
  if (d.corruptedReason) rep.corruptedReason = d.corruptedReason;
  if (d.guilty) rep.guiltyFrame = d.guilty;
  if (firstTs !== undefined) rep.firstTimestamp = firstTs;
  if (lastTs !== undefined) rep.lastTimestamp = lastTs;
  if (d.task) rep.task = { ...d.task };
  if (d.lockdep) {
    const l = d.lockdep;
    rep.lockdep = { type: l.type, lockClasses: l.lockClasses.slice(), chain: l.chain.slice(), tasks: l.tasks.map(copyTask) };
  }
  if (d.warning) {
    const w: WarningInfo = { ...d.warning };
    if (w.flushDependency) w.flushDependency = copyFlush(w.flushDependency);
    rep.warning = w;
  }
  if (d.killed) rep.oom = { killed: copyTask(d.killed) };
  return rep;
}

export function buildReport(r: OpenReport): Report {
  return assemble(derive(r), r, false);
}

interface CacheEntry {
  bucket: number;
  /** the report's lines joined by "\n" */
  key: string;
  ctxClass: number;
  header: string;
  headerIndex: number;
  bodyStart: number;
  truncated: string | undefined;
  nLines: number;
  derived: Derived;
}

/** Bounds of a builder's cache of derived report data. */
const CACHE_ENTRIES = 512;
const CACHE_CHARS = 4 * 1024 * 1024;

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** A cheap bucket number for a block: its shape (line count, body start, header index, line lengths). */
function fingerprint(r: OpenReport): number {
  const all = r.lines;
  let h = Math.imul(all.length ^ (r.bodyStart << 16), 0x9e3779b1) ^ r.headerIndex;
  for (let i = 0; i < all.length; i++) h = Math.imul(h ^ all[i]!.text.length, 0x01000193);
  return h;
}

/** Fingerprints remembered of blocks seen once (a block is cached when it comes again). */
const SEEN_ONCE_MAX = 4096;

/**
 * A report builder with a bounded LRU cache keyed by the report's stripped lines (plus header, body
 * start, context class and cut reason): a report that repeats costs a join and a string comparison
 * instead of a title search, a frame walk and a signature. A block is cached the second time its
 * fingerprint comes, so that one-off reports cost no more than a fingerprint.
 *
 * The lines are compared joined by "\n". Only blocks whose lines contain no "\n" of their own are
 * cached (the joined text then has exactly nLines - 1 newlines); a block with the same joined text and
 * the same number of lines then necessarily has the same lines.
 */
export function createReportBuilder(lazyText = false): (r: OpenReport) => Report {
  /** fingerprint → entries (usually one), in least recently used order across buckets via `order` */
  const buckets = new Map<number, CacheEntry[]>();
  const order = new Set<CacheEntry>();
  const seenOnce = new Set<number>();
  let chars = 0;

  function drop(e: CacheEntry): void {
    order.delete(e);
    chars -= e.key.length;
    const list = buckets.get(e.bucket)!;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) buckets.delete(e.bucket);
  }

  function joinTexts(all: Line[]): string {
    const texts = new Array<string>(all.length);
    for (let i = 0; i < all.length; i++) texts[i] = all[i]!.text;
    return texts.join("\n");
  }

  return (r: OpenReport): Report => {
    const all = r.lines;
    const n = all.length;
    const ctxClass = r.ctx === "" || r.ctx === "console" ? 0 : 1;
    const bucket = fingerprint(r);
    const list = buckets.get(bucket);
    let key: string | undefined;
    if (list) {
      key = joinTexts(all);
      for (const e of list) {
        if (
          e.nLines === n && e.headerIndex === r.headerIndex && e.bodyStart === r.bodyStart && e.ctxClass === ctxClass &&
          e.header === r.header.header && e.truncated === r.truncated && e.key === key
        ) {
          // refresh (least recently used entries go first)
          order.delete(e);
          order.add(e);
          return assemble(e.derived, r, lazyText);
        }
      }
    }
    const derived = derive(r);
    if (!list && !seenOnce.has(bucket)) {
      if (seenOnce.size >= SEEN_ONCE_MAX) seenOnce.clear();
      seenOnce.add(bucket);
      return assemble(derived, r, lazyText);
    }
    key ??= joinTexts(all);
    if (key.length <= CACHE_CHARS / 4 && countNewlines(key) === n - 1) {
      while (order.size > 0 && (order.size >= CACHE_ENTRIES || chars + key.length > CACHE_CHARS)) drop(order.values().next().value!);
      const e: CacheEntry = {
        bucket, key, ctxClass, header: r.header.header, headerIndex: r.headerIndex, bodyStart: r.bodyStart,
        truncated: r.truncated, nLines: n, derived: detachDerived(derived),
      };
      const l = buckets.get(bucket);
      if (l) l.push(e);
      else buckets.set(bucket, [e]);
      order.add(e);
      chars += key.length;
    }
    return assemble(derived, r, lazyText);
  };
}
