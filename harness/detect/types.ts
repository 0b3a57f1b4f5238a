/** What kind of kernel report a block of console text is. */
export type ReportKind =
  | "hung-task"
  | "lockdep"
  | "warning"
  | "bug"
  | "gpf"
  | "kasan"
  | "soft-lockup"
  | "rcu-stall"
  | "workqueue-lockup"
  | "oom"
  | "panic"
  | "other";

export const REPORT_KINDS: readonly ReportKind[] = [
  "hung-task", "lockdep", "warning", "bug", "gpf", "kasan", "soft-lockup",
  "rcu-stall", "workqueue-lockup", "oom", "panic", "other",
];

export interface TaskRef {
  comm: string;
  pid: number;
}

export interface FlushDependency {
  /** workqueue that is flushing (WQ_MEM_RECLAIM), e.g. `nfsiod`, `writeback` */
  flushingWq: string;
  /** work function running on it, e.g. `nfs_local_call_write` */
  flushingWork: string;
  /** flushed !WQ_MEM_RECLAIM workqueue as printed, e.g. `xfs-sync/vdb` */
  flushedWq: string;
  /** work function being flushed, e.g. `xfs_flush_inodes_worker` */
  flushedWork: string;
}

export interface LockdepInfo {
  /** circular | recursive | inconsistent | irq-inversion | safe-unsafe | bad-unlock | held-lock-freed |
   *  held-on-return | rcu-usage | locking-bug | non-static-key | still-held */
  type: string;
  /** lock classes named by the report (normalized: `#N` instance suffixes removed) */
  lockClasses: string[];
  /** for circular reports: the dependency cycle in acquisition order (#0 → #1 → … → #N → #0) */
  chain: string[];
  /** tasks named by the report (`X/123 is trying to acquire`, `N locks held by X/123`) */
  tasks: TaskRef[];
}

export interface WarningInfo {
  file?: string;
  line?: number;
  message?: string;
  flushDependency?: FlushDependency;
}

export interface Report {
  kind: ReportKind;
  /** syzkaller-compatible title, e.g. `INFO: task hung in mnt_want_write` */
  title: string;
  corrupted: boolean;
  corruptedReason?: string;
  /** stable dedup key, see docs/expectations.md */
  signature: string;
  /** the function the title names (absent when the report has none, `corrupted` when it could not be found) */
  guiltyFrame?: string;
  /** every stack frame of the report in order, normalized (no offsets, addresses, module tags, `.isra.N` …) */
  frames: string[];
  /** the title stack after skipping generic frames, starting at the guilty frame (a few entries);
   *  always set by the parser, optional so that hand-made reports (tests) need not carry it */
  keyFrames?: string[];
  /** 1-based, inclusive, in the source text */
  startLine: number;
  endLine: number;
  firstTimestamp?: number;
  lastTimestamp?: number;
  /** how many times this report occurred (repeats of the same signature are folded) */
  count: number;
  task?: { comm: string; pid: number; state?: string };
  lockdep?: LockdepInfo;
  warning?: WarningInfo;
  oom?: { killed?: TaskRef };
  /** the report's raw lines (capped) */
  text: string;
}
