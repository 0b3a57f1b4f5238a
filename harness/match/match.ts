/** Does one report match one expected signature? And if not, why not (for the user). */
import type { Report } from "../detect/index.ts";
import { normalizeLockClass } from "../detect/index.ts";
import type { ExpectedSignature } from "./schema.ts";

const SYSCALL_PREFIX = /^(?:__x64_|__ia32_|__arm64_|__se_|__do_)?(?:sys_)?/;

/**
 * What a user regex is tested against is cut to this length: titles, frames, lock classes and
 * comms are short, and a bounded input bounds the work of any regex (schema.ts refuses the
 * ones that backtrack catastrophically).
 */
const MAX_SUBJECT = 1024;

function test(re: RegExp, s: string): boolean {
  return re.test(s.length > MAX_SUBJECT ? s.slice(0, MAX_SUBJECT) : s);
}

function matcher(p: string): (s: string) => boolean {
  if (p.length > 2 && p.startsWith("/") && p.endsWith("/")) {
    const re = new RegExp(p.slice(1, -1));
    return (s) => test(re, s);
  }
  return (s) => s === p;
}

function frameMatcher(p: string): (s: string) => boolean {
  const m = matcher(p);
  if (p.startsWith("/")) return m;
  // `sys_openat` in an expectation matches `__x64_sys_openat` in a stack, and the reverse
  const bare = p.replace(SYSCALL_PREFIX, "");
  return (s) => m(s) || (bare !== "" && s.replace(SYSCALL_PREFIX, "") === bare);
}

function reportFrames(r: Report): string[] {
  return r.guiltyFrame && !r.frames.includes(r.guiltyFrame) ? [r.guiltyFrame, ...r.frames] : r.frames;
}

function wqNames(r: Report): string[] {
  const fd = r.warning?.flushDependency;
  if (!fd) return [];
  const base = (s: string) => (s.includes("/") ? s.slice(0, s.indexOf("/")) : s);
  return [fd.flushingWq, base(fd.flushingWq), fd.flushedWq, base(fd.flushedWq), `${fd.flushingWq}:${fd.flushingWork}`, `${fd.flushedWq}:${fd.flushedWork}`];
}

function comms(r: Report): string[] {
  const out: string[] = [];
  if (r.task) out.push(r.task.comm);
  for (const t of r.lockdep?.tasks ?? []) out.push(t.comm);
  return out;
}

export interface MatchOutcome {
  ok: boolean;
  /** the first criterion that failed */
  why?: string;
}

export function matchesExpectation(report: Report, e: ExpectedSignature): MatchOutcome {
  if (e.kind !== undefined && report.kind !== e.kind) return { ok: false, why: `kind is ${report.kind}, expected ${e.kind}` };
  if (e.signature !== undefined && report.signature !== e.signature) {
    return { ok: false, why: `signature is ${report.signature}, expected ${e.signature}` };
  }
  if (e.title !== undefined && !test(new RegExp(e.title), report.title)) {
    return { ok: false, why: `title "${report.title}" does not match /${e.title}/` };
  }
  if (e.frames) {
    const frames = reportFrames(report);
    let from = 0;
    for (const p of e.frames) {
      const m = frameMatcher(p);
      const idx = frames.findIndex((f, i) => i >= (e.ordered ? from : 0) && m(f));
      if (idx < 0) {
        const anywhere = e.ordered && frames.some((f) => m(f));
        return { ok: false, why: anywhere ? `frame ${p} is not in the expected order` : `frame ${p} is not in the report` };
      }
      from = idx + 1;
    }
  }
  if (e.anyFrames) {
    const frames = reportFrames(report);
    if (!e.anyFrames.some((p) => frames.some(frameMatcher(p)))) {
      return { ok: false, why: `none of the frames ${e.anyFrames.join(", ")} is in the report` };
    }
  }
  if (e.lockClasses) {
    if (!report.lockdep) return { ok: false, why: "not a lockdep report (no lock classes)" };
    const classes = [...report.lockdep.lockClasses, ...report.lockdep.chain];
    for (const p of e.lockClasses) {
      const m = matcher(p.startsWith("/") ? p : normalizeLockClass(p));
      if (!classes.some(m)) return { ok: false, why: `lock class ${p} is not in the report (${report.lockdep.lockClasses.join(", ")})` };
    }
  }
  if (e.workqueues) {
    const names = wqNames(report);
    if (names.length === 0) return { ok: false, why: "not a workqueue flush-dependency warning" };
    for (const p of e.workqueues) {
      if (!names.some(matcher(p))) return { ok: false, why: `workqueue ${p} is not in the report (${names[0]} → ${names[2]})` };
    }
  }
  if (e.task !== undefined) {
    const re = new RegExp(e.task);
    const cs = comms(report);
    if (!cs.some((c) => test(re, c))) {
      return { ok: false, why: cs.length ? `task ${cs.join(", ")} does not match /${e.task}/` : "the report names no task" };
    }
  }
  return { ok: true };
}
