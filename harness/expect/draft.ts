/**
 * Reports found in a text → expected signatures that match them (`hangar expect`). Each
 * signature uses the loosest matchers that still name the bug: the workqueues of a flush
 * dependency, the lock-class cycle of a lockdep report, the first frames of a stack.
 */
import type { Report } from "../detect/index.ts";
import type { ExpectedSignature } from "../match/index.ts";

/** Frames from a report's key stack used in `frames:` (the guilty one and its callers). */
const KEY_FRAMES = 3;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60)
      .replace(/-+$/, "") || "report"
  );
}

/** A workqueue as printed (`xfs-sync/vdc`) without its device suffix: the match ignores it. */
const wqName = (wq: string) => wq.split("/")[0]!;

export function signatureFor(r: Report): ExpectedSignature {
  const fd = r.warning?.flushDependency;
  if (r.kind === "warning" && fd) {
    return {
      name: slug(`${wqName(fd.flushingWq)} flushes ${wqName(fd.flushedWq)}`),
      kind: "warning",
      title: `^${escapeRe(r.title)}$`,
      workqueues: [wqName(fd.flushingWq), wqName(fd.flushedWq)],
    };
  }
  if (r.kind === "lockdep" && r.lockdep) {
    const classes = r.lockdep.chain.length ? r.lockdep.chain : r.lockdep.lockClasses;
    return {
      name: slug(`${r.lockdep.type} ${classes.join(" ")}`),
      kind: "lockdep",
      title: `^${escapeRe(r.title)}$`,
      ...(classes.length ? { lockClasses: [...new Set(classes)] } : {}),
    };
  }
  const frames = (r.keyFrames?.length ? r.keyFrames : r.frames).slice(0, KEY_FRAMES);
  return {
    name: slug(r.title),
    kind: r.kind,
    ...(frames.length ? { frames, ordered: true } : { title: `^${escapeRe(r.title)}$` }),
  };
}

/** One signature per distinct report (two reports that draft the same signature give one). */
export function draftSignatures(reports: Report[]): ExpectedSignature[] {
  const out: ExpectedSignature[] = [];
  const seen = new Set<string>();
  for (const r of reports) {
    const sig = signatureFor(r);
    const key = JSON.stringify({ ...sig, name: "" });
    if (seen.has(key)) continue;
    seen.add(key);
    let name = sig.name;
    for (let i = 2; out.some((s) => s.name === name); i++) name = `${sig.name}-${i}`;
    out.push({ ...sig, name });
  }
  return out;
}

/** Kernel identifiers a text without any kernel report talks about, to start a draft by hand. */
export interface ProseHints {
  /** names written as calls, `foo()`, or as snake_case kernel symbols */
  functions: string[];
  /** lock names: *_rwsem, *_mutex, *_lock, *_sem */
  locks: string[];
}

const LOCK_NAME = /^[a-z][a-z0-9_]*_(?:rwsem|mutex|lock|sem|spinlock)$/;

export function proseHints(text: string): ProseHints {
  const calls = [...text.matchAll(/\b([a-z_][a-z0-9_]*[a-z0-9])\(\)/g)].map((m) => m[1]!);
  const snake = [...text.matchAll(/\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b/g)].map((m) => m[1]!);
  const locks = [...new Set(snake.filter((w) => LOCK_NAME.test(w)))];
  const functions = [...new Set([...calls, ...snake])].filter((f) => !locks.includes(f));
  return { functions, locks };
}
