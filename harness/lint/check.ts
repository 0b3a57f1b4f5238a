/**
 * Unreachable expectations: an expected signature that names a function the target kernel does
 * not have, or a lock class lockdep cannot report, can never match — a scenario built on it
 * comes out `clean` whether or not the bug is there. Pure: the kernel's names come in a
 * KernelIndex (kernel-index.ts).
 */
import type { ExpectedSignature } from "../match/index.ts";
import type { KernelIndex } from "./kernel-index.ts";

export interface LintProblem {
  /** e.g. `expect.signatures[2].anyFrames[0]` */
  field: string;
  /** the signature's name */
  signature: string;
  value: string;
  /** error: can never match; warning: can match only partly, or could not be checked */
  severity: "error" | "warning";
  message: string;
}

/** Locks lockdep does not track, whatever their name: a cycle through them shows up only as hung tasks. */
export const NOT_LOCKDEP_TRACKED: { re: RegExp; why: string }[] = [
  { re: /xfs_buf|b_sema|\bag[fi]\b|\bagf|\bagi\b|agf_|agi_/i, why: "XFS buffer locks (AGF, AGI and every other xfs_buf) are semaphores (xfs_buf.b_sema), which lockdep does not track" },
  { re: /\bPG_locked\b|folio_lock|lock_page/, why: "page and folio locks are bit locks, which lockdep does not track" },
  { re: /\bcompletion\b(?!\))/, why: "completions are not locks; lockdep sees only (work_completion)/(wq_completion) maps of flushes" },
];

const isRegex = (s: string) => s.length > 2 && s.startsWith("/") && s.endsWith("/");
const regexOf = (s: string) => new RegExp(s.slice(1, -1));

/** A function name written as `sys_openat` also matches `__x64_sys_openat` (as the matcher does). */
function hasFunction(k: KernelIndex, fn: string): boolean | undefined {
  const set = k.textSymbols ?? k.definedFunctions;
  if (!set) return undefined;
  return set.has(fn) || (fn.startsWith("sys_") && set.has(`__x64_${fn}`));
}

/** lockdep's class name for a lock, as the match compares it: `#N` instance suffixes removed. */
const baseClass = (c: string) => c.replace(/#\d+$/, "");

function lockClassKnown(k: KernelIndex, cls: string): boolean | undefined {
  if (!k.lockClasses) return undefined;
  const c = baseClass(cls);
  if (k.lockClasses.has(c)) return true;
  // (wq_completion)NAME: a flush of a workqueue of that name; (work_completion)(...): a flush of any work.
  const wq = /^\(wq_completion\)(.+?)(?:\/.*)?$/.exec(c);
  if (wq) return !!k.workqueues?.has(wq[1]!) || [...(k.workqueues ?? [])].some((w) => wq[1]!.startsWith(w));
  if (c.startsWith("(work_completion)")) return true;
  // a static lock: its variable in System.map (data) counts too
  if (/^\w+$/.test(c) && k.dataSymbols?.has(c)) return true;
  return false;
}

export function lintExpectations(list: ExpectedSignature[], k: KernelIndex, where = "expect.signatures"): LintProblem[] {
  const out: LintProblem[] = [];
  list.forEach((sig, i) => {
    for (const key of ["frames", "anyFrames"] as const) {
      const names = sig[key] ?? [];
      const missing: { j: number; fn: string }[] = [];
      names.forEach((fn, j) => {
        if (isRegex(fn)) {
          // Only System.map lists every function; a source scan looks up the names it was given.
          const re = regexOf(fn);
          if (k.textSymbols && ![...k.textSymbols].some((s) => re.test(s))) missing.push({ j, fn });
          return;
        }
        if (hasFunction(k, fn) === false) missing.push({ j, fn });
      });
      for (const { j, fn } of missing) {
        // `frames` needs all of them; `anyFrames` is unreachable only when every entry is missing.
        const all = key === "frames" || missing.length === names.length;
        out.push({
          field: `${where}[${i}].${key}[${j}]`,
          signature: sig.name,
          value: fn,
          severity: all ? "error" : "warning",
          message:
            `${isRegex(fn) ? "no function matches" : "function not"} in ${k.describe}` +
            (key === "frames" ? ": this signature can never match" : all ? ": none of anyFrames exists, this signature can never match" : " (another anyFrames entry can still match)"),
        });
      }
    }
    (sig.lockClasses ?? []).forEach((cls, j) => {
      const field = `${where}[${i}].lockClasses[${j}]`;
      const text = isRegex(cls) ? cls.slice(1, -1) : cls;
      const untracked = NOT_LOCKDEP_TRACKED.find((u) => u.re.test(text));
      if (untracked) {
        out.push({ field, signature: sig.name, value: cls, severity: "error", message: `${untracked.why}: lockdep can never report it` });
        return;
      }
      if (isRegex(cls)) {
        const re = regexOf(cls);
        if (k.lockClasses && ![...k.lockClasses, ...[...(k.workqueues ?? [])].map((w) => `(wq_completion)${w}`)].some((c) => re.test(c))) {
          out.push({ field, signature: sig.name, value: cls, severity: "error", message: `no lock class of ${k.describe} matches` });
        }
        return;
      }
      if (lockClassKnown(k, cls) === false) {
        out.push({
          field,
          signature: sig.name,
          value: cls,
          severity: "error",
          message: `no lock of this class in ${k.describe} (lockdep names a static lock by its variable, a member lock by its init expression such as &bp->b_lock)`,
        });
      }
    });
  });
  return out;
}

/** Every function and lock-class name an expectation list mentions (what the kernel index must cover). */
export function namesIn(list: ExpectedSignature[]): { functions: string[]; lockClasses: string[] } {
  const functions = new Set<string>();
  const lockClasses = new Set<string>();
  for (const s of list) {
    for (const f of [...(s.frames ?? []), ...(s.anyFrames ?? [])]) {
      if (isRegex(f)) continue;
      functions.add(f);
      if (f.startsWith("sys_")) functions.add(`__x64_${f}`);
    }
    for (const c of s.lockClasses ?? []) lockClasses.add(c);
  }
  return { functions: [...functions], lockClasses: [...lockClasses] };
}
