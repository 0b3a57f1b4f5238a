/**
 * What a kernel can put in a report: its functions and its lockdep class names, read from a
 * built kernel's System.map (exact: an inlined or removed function is absent) and from its source
 * tree (function definitions, and the names lockdep gives classes: static lock definitions, the
 * `&expr` of lock init calls, lockdep map names, workqueue names).
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { HangarError } from "../common/index.ts";

/** Deadline of one scan of a source tree (grep over ~1 GB of C under load). */
export const SCAN_TIMEOUT_MS = 10 * 60_000;

export interface KernelIndex {
  /** where the names came from, for messages */
  describe: string;
  /** text symbols of System.map, when a built kernel was given */
  textSymbols?: Set<string>;
  /** data symbols of System.map */
  dataSymbols?: Set<string>;
  /** functions (and function-like macros) defined in the source tree */
  definedFunctions?: Set<string>;
  /** lock class names lockdep can print for this tree */
  lockClasses?: Set<string>;
  /** workqueue names given to alloc_workqueue / alloc_ordered_workqueue / create_workqueue */
  workqueues?: Set<string>;
}

export class LintScanError extends HangarError {}

/** `ffffffff81000000 T _stext` lines → text and data symbol names. */
export function parseSystemMap(text: string): { text: Set<string>; data: Set<string> } {
  const t = new Set<string>();
  const d = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^[0-9a-f]+ ([A-Za-z]) (\S+)$/.exec(line.trim());
    if (!m) continue;
    const name = m[2]!.replace(/\.(?:isra|constprop|part|cold|llvm)\.?\d*$/, "").replace(/\.(?:isra|constprop|part|cold)(?:\.\d+)*$/, "");
    if (/[tTwW]/.test(m[1]!)) t.add(name);
    else d.add(name);
  }
  return { text: t, data: d };
}

export async function readSystemMap(file: string): Promise<{ text: Set<string>; data: Set<string> }> {
  return parseSystemMap(await readFile(file, "utf8"));
}

const LOCK_DEFINE = String.raw`(DEFINE_(MUTEX|SPINLOCK|RAW_SPINLOCK|RWLOCK|SEQLOCK|PERCPU_RWSEM|STATIC_PERCPU_RWSEM|SRCU|STATIC_SRCU|WW_CLASS)|DECLARE_RWSEM|DEFINE_LD_WAIT_FUNCS)\(\s*\w+`;
const LOCK_INIT = String.raw`\b(mutex_init|spin_lock_init|raw_spin_lock_init|init_rwsem|rwlock_init|seqcount_init|seqlock_init|percpu_init_rwsem|ww_mutex_init|init_srcu_struct)\(\s*&[^;]*\)\s*;`;
const MAP_NAME = String.raw`(STATIC_LOCKDEP_MAP_INIT|lockdep_init_map\w*|lock_class_key_register|__init_rwsem|__mutex_init|__raw_spin_lock_init|__spin_lock_init)\([^;]*"[^"]+"`;
const WQ_NAME = String.raw`\b(alloc_workqueue|alloc_ordered_workqueue|create_workqueue|create_singlethread_workqueue|create_freezable_workqueue)\(\s*"[^"%]+`;
const SB_NAMES = String.raw`"sb_(writers|pagefaults|internal)"`;

/** Patterns are POSIX extended regular expressions (GNU grep -E: no (?:…), no lazy quantifiers). */
/** One pass of grep over the tree's C files, printing the matches of every pattern. */
async function grepTree(dir: string, patterns: string[], signal?: AbortSignal): Promise<string[]> {
  const args = ["-rhoE", "--include=*.c", "--include=*.h", ...patterns.flatMap((p) => ["-e", p]), "--", dir];
  const r = await execa("grep", args, { reject: false, timeout: SCAN_TIMEOUT_MS, maxBuffer: 512 * 1024 * 1024, ...(signal ? { cancelSignal: signal } : {}) });
  // grep: 0 found, 1 none found, 2 error (an unreadable file among many is not fatal when there is output)
  if (r.timedOut) throw new LintScanError(`scanning ${dir} took longer than ${SCAN_TIMEOUT_MS / 60_000} min`);
  if (r.exitCode === 2 && !r.stdout) throw new LintScanError(`cannot scan ${dir}: ${String(r.stderr).split("\n")[0]}`);
  return String(r.stdout).split("\n").filter(Boolean);
}

/** The function names defined (or #defined as function-like macros) in a tree, among `wanted`. */
export async function scanFunctions(dir: string, wanted: string[], signal?: AbortSignal): Promise<Set<string>> {
  const names = [...new Set(wanted)].filter((n) => /^\w+$/.test(n));
  if (!names.length) return new Set();
  // A definition starts its line (kernel style): `static int foo(`, `xfs_foo(`, `#define foo(`,
  // `SYSCALL_DEFINE…`. Calls are indented, and comments start with ` *` or `/*`.
  const alt = names.join("|");
  const lines = await grepTree(dir, [String.raw`^(#define[[:space:]]+|[A-Za-z_][A-Za-z0-9_ *]*[ *])?(${alt})\(`], signal);
  const found = new Set<string>();
  const re = new RegExp(String.raw`\b(${alt})\($`);
  for (const l of lines) {
    const m = re.exec(l);
    if (m) found.add(m[1]!);
  }
  return found;
}

/** Every lockdep class name and workqueue name the tree can produce (approximate, from source). */
export async function scanLockClasses(dir: string, signal?: AbortSignal): Promise<{ classes: Set<string>; workqueues: Set<string> }> {
  const lines = await grepTree(dir, [LOCK_DEFINE, LOCK_INIT, MAP_NAME, WQ_NAME, SB_NAMES], signal);
  const classes = new Set<string>();
  const workqueues = new Set<string>();
  for (const l of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^(?:alloc_workqueue|alloc_ordered_workqueue|create_\w*workqueue)\(\s*"([^"%]+)/.exec(l))) workqueues.add(m[1]!.trim().replace(/\/.*$/, "")); // "xfs-sync/%s" → xfs-sync
    else if ((m = /^[A-Z_]+\(\s*(\w+)$/.exec(l))) classes.add(m[1]!);
    else if ((m = /^\w+\(\s*(&[^;]*?)\)\s*;$/.exec(l))) classes.add(m[1]!.replace(/\s+/g, ""));
    else if ((m = /"([^"]+)"$/.exec(l))) classes.add(m[1]!);
  }
  return { classes, workqueues };
}
