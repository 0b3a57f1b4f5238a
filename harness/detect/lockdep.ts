/** Lockdep details: lock classes, the dependency cycle, and the tasks a lockdep report names. */
import type { LockdepInfo, TaskRef } from "./types.ts";

const INSTANCE_RE = /#[0-9]+/g;

/** `sb_writers#15` → `sb_writers`: instance numbers differ between boots and kernels. */
export function normalizeLockClass(c: string): string {
  return c.replace(INSTANCE_RE, "").trim();
}

/** The lock class of a line like `ffff8880 (&pool->lock){-.-.}-{2:2}, at: …` or `-> #3 (&pool->lock){…}:`. */
export function lockClassOf(text: string): string | undefined {
  const end = text.indexOf("){");
  if (end < 0) return undefined;
  let depth = 0;
  for (let i = end; i >= 0; i--) {
    const c = text[i];
    if (c === ")") depth++;
    else if (c === "(") {
      depth--;
      if (depth === 0) return text.slice(i + 1, end);
    }
  }
  return undefined;
}

const STOP_RE = /other info that might help|Possible (?:unsafe|interrupt unsafe) locking scenario|stack backtrace:|locks? held by|no locks held|Call Trace:/;
// both run on untrimmed lines: `^\s*` is what trimming the line first would do
const CHAIN_RE = /^\s*-> #([0-9]+) /;
const TASK_RES = [
  /^\s*(\S+?)\/([0-9]+)(?: \[[^\]]*\])? (?:is trying to|just changed the state|takes:|is leaving the kernel|is freeing memory|is exiting)/,
  /locks? held by (\S+?)\/([0-9]+)/,
];

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Rotate a cycle so that it starts at its smallest element (keeps the direction). */
export function canonicalCycle(cycle: string[]): string[] {
  if (cycle.length === 0) return cycle;
  let best = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i]! < cycle[best]!) best = i;
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}

export function lockdepInfo(type: string, lines: string[]): LockdepInfo {
  const classes: string[] = [];
  const chain: { n: number; cls: string }[] = [];
  const tasks: TaskRef[] = [];
  let inWhat = true;
  for (const t of lines) {
    if (inWhat && STOP_RE.test(t)) inWhat = false;
    const cls = lockClassOf(t);
    // both task forms name `comm/pid`
    const slash = t.indexOf("/");
    if (cls !== undefined) {
      const norm = normalizeLockClass(cls);
      const cm = CHAIN_RE.exec(t);
      if (cm) chain.push({ n: Number(cm[1]), cls: norm });
      if (inWhat) classes.push(norm);
    }
    if (slash < 0) continue;
    for (const re of TASK_RES) {
      const m = re.exec(t);
      if (m) tasks.push({ comm: m[1]!, pid: Number(m[2]) });
    }
  }
  const seenTask = new Set<string>();
  const uniqTasks = tasks.filter((x) => {
    const k = `${x.comm}/${x.pid}`;
    if (seenTask.has(k)) return false;
    seenTask.add(k);
    return true;
  });
  const ordered = chain.sort((a, b) => a.n - b.n).map((c) => c.cls);
  return { type, lockClasses: uniq(classes), chain: uniq(ordered), tasks: uniqTasks };
}
