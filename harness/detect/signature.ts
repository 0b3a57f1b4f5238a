/**
 * Signatures: a stable, readable key for "the same bug" across runs, builds and kernels.
 *
 *   <kind>[/<subtype>]:<part>
 *
 * - lockdep circular:   `lockdep/circular:A>B>C` — the lock-class cycle in acquisition order,
 *                        rotated to start at the smallest class name (`#N` instance suffixes dropped)
 * - other lockdep:      `lockdep/<type>:<classes sorted, comma-separated>|<guilty frame>` (either part may be absent)
 * - flush dependency:   `warning/flush-dependency:<flushing wq>:<work>><flushed wq>:<work>`
 *                        (workqueue names without their `/device` suffix)
 * - everything else:    `<kind>[/<title subtype>]:<guilty>|<caller>|<caller>` — the guilty frame and the
 *                        next two frames of the title stack, generic frames skipped
 * - no frame at all:    `<kind>/<title subtype>`, or `<kind>:<title as a slug>` when the title is just the kind
 *
 * Nothing in it depends on offsets, addresses, pids, timestamps or line numbers.
 */
import type { FlushDependency, LockdepInfo, ReportKind } from "./types.ts";
import { canonicalCycle } from "./lockdep.ts";

const NON_SLUG_RE = /[^a-z0-9_]+/g;
const EDGE_DASHES_RE = /^-+|-+$/g;
const KIND_PREFIX_RE = /^(?:kasan|warning|bug|info|kernel-panic)-/;

export function slug(s: string): string {
  return s.toLowerCase().replace(NON_SLUG_RE, "-").replace(EDGE_DASHES_RE, "");
}

/** Title stems that are the kind itself and add nothing to the signature. */
const DEFAULT_STEMS = new Set([
  "info-task-hung", "warning", "bug-soft-lockup", "info-rcu-detected-stall", "general-protection-fault",
  "out-of-memory", "possible-deadlock", "inconsistent-lock-state", "bug-workqueue-lockup",
]);

/** `KASAN: use-after-free Read in foo` → `use-after-free-read`; `WARNING in foo` → undefined. */
export function titleSubtype(title: string): string | undefined {
  const i = title.lastIndexOf(" in ");
  const stem = slug(i >= 0 ? title.slice(0, i) : title);
  if (DEFAULT_STEMS.has(stem)) return undefined;
  return stem.replace(KIND_PREFIX_RE, "") || undefined;
}

function wqBase(name: string): string {
  const i = name.indexOf("/");
  return i > 0 ? name.slice(0, i) : name;
}

export interface SignatureInput {
  kind: ReportKind;
  title: string;
  guiltyFrame?: string;
  keyFrames: string[];
  lockdep?: LockdepInfo;
  flushDependency?: FlushDependency;
}

export function computeSignature(r: SignatureInput): string {
  if (r.flushDependency) {
    const f = r.flushDependency;
    return `warning/flush-dependency:${wqBase(f.flushingWq)}:${f.flushingWork}>${wqBase(f.flushedWq)}:${f.flushedWork}`;
  }
  if (r.kind === "lockdep" && r.lockdep) {
    const l = r.lockdep;
    if (l.type === "circular" && l.chain.length >= 2) return `lockdep/circular:${canonicalCycle(l.chain).join(">")}`;
    const parts = [[...l.lockClasses].sort().join(","), r.guiltyFrame ?? ""].filter((x) => x !== "");
    if (parts.length) return `lockdep/${l.type}:${parts.join("|")}`;
  }
  const sub = titleSubtype(r.title);
  const head = sub ? `${r.kind}/${sub}` : r.kind;
  if (r.guiltyFrame) {
    const frames = [r.guiltyFrame, ...r.keyFrames.slice(1, 3)];
    return `${head}:${frames.join("|")}`;
  }
  if (sub) return head;
  return DEFAULT_STEMS.has(slug(r.title)) ? r.kind : `${r.kind}:${slug(r.title)}`;
}
