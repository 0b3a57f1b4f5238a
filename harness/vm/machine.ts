/**
 * What the orchestrator (harness/run/) may use of a guest, and nothing more. Modelled on
 * syzkaller's vm/vmimpl.Instance: a handful of methods; crash and hang detection stay above
 * the interface. `QemuMachine` (qemu-machine.ts) is the real implementation; tests use a
 * scripted fake (test/fake/machine.ts).
 *
 * Every method has a deadline; `teardown` never throws and never leaves the guest running.
 */
import type { EventSink } from "../common/index.ts";
import type { Accel } from "./qemu-args.ts";

export interface ExecResult {
  /** Exit code; null when the command timed out or the connection dropped under it. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ExecOptions {
  timeoutMs: number;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Bytes written to the command's stdin (then closed): how files reach the guest. */
  input?: Buffer;
  /** Bytes of stdout/stderr kept in the result (the rest is still streamed). */
  maxOutput?: number;
}

/** What to boot: the same for every implementation (a fake ignores what it cannot use). */
export interface MachineSpec {
  name: string;
  /** Directory for this machine's files (console.log, qemu.log, scratch disks). */
  workDir: string;
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  kernel: string;
  initrd?: string;
  /** Root image, opened read-only with a throwaway overlay. */
  rootfs: string;
  /** Full kernel command line. */
  append: string;
  /** Scratch disks: sparse files created fresh in workDir. */
  scratch: { name: string; sizeMiB: number }[];
  sshKey: string;
  /** The guest's SSH host public key ("<type> <base64>") when the image pins one. */
  hostKey?: string;
  sink: EventSink;
}

export interface TeardownReport {
  /** The step that ended the machine: it exited by itself, poweroff, QMP quit, SIGTERM or SIGKILL. */
  endedBy: "exited" | "poweroff" | "qmp-quit" | "sigterm" | "sigkill" | "not-started" | "still-running";
  exitCode?: number | null;
  signal?: string | null;
  steps: { step: string; ok: boolean; detail?: string; ms: number }[];
}

export interface MachineExit {
  code: number | null;
  signal: string | null;
}

/** A hole in the kernel log as followed: records the follower never saw (overwritten, or printed before it started). */
export interface KernelLogGap {
  /** Last sequence number seen before the gap (-1: none yet). */
  afterSeq: number;
  /** First sequence number seen after it. */
  nextSeq: number;
  lost: number;
}

export interface KernelLogStatus {
  /** Records written to the sink. */
  records: number;
  /** Last sequence number written (-1: none). */
  lastSeq: number;
  /** How often the follower was started again after a dropped connection. */
  restarts: number;
  gaps: KernelLogGap[];
}

/** The kernel log as the machine follows it, across reconnects, without loss or repeats. */
export interface KernelLogFollower {
  status(): KernelLogStatus;
  /** Drain for up to `drainMs` (what the kernel printed last), then stop. Never throws. */
  stop(drainMs: number): Promise<KernelLogStatus>;
}

export interface Machine {
  readonly name: string;
  /** Where the serial console is logged: everything the kernel printed, whatever SSH did. */
  readonly consoleLog: string;
  /** Guest block device per scratch disk name (/dev/vdb, …); known once booted. */
  readonly disks: Readonly<Record<string, string>>;
  /** Host process id, when there is one. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves once the machine has exited (by itself or by teardown). Never rejects. */
  readonly exited: Promise<MachineExit>;
  /**
   * Start the machine and wait until it runs commands, within `deadlineMs`. Rejects when the
   * deadline passes, the machine exits first, or `signal` aborts. Resolves with the time taken.
   */
  boot(deadlineMs: number, signal?: AbortSignal): Promise<{ bootMs: number }>;
  /** Run a (quoted) shell command in the guest. Never rejects on timeout: the result says timedOut. */
  exec(command: string, opts: ExecOptions): Promise<ExecResult>;
  /** Console lines as the guest prints them. Returns an unsubscribe function. */
  onConsoleLine(fn: (line: string) => void): () => void;
  /** Follow the kernel log (dmesg format lines) into `onLine`; the machine keeps it going across reconnects. */
  followKernelLog(onLine: (line: string) => void): KernelLogFollower;
  /** SysRq out of band (works when SSH and userspace are dead). */
  sysrq(key: string): Promise<void>;
  /** Does the guest answer a trivial command within `timeoutMs`? A dropped connection is re-made first. */
  healthCheck(timeoutMs: number): Promise<boolean>;
  /** Stop the machine, escalating with a deadline at each step. Never throws. */
  teardown(o?: { graceful?: boolean }): Promise<TeardownReport>;
}

export type MachineFactory = (spec: MachineSpec) => Machine;
