import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { DeadlineError, errorMessage, sleep, withDeadline, type EventSink } from "../common/index.ts";
import { QEMU_BINARY } from "./accel.ts";
import { ConsoleFollower } from "./console.ts";
import { freePort } from "./ports.ts";
import { QmpClient } from "./qmp.ts";
import { buildQemuArgs, type Accel } from "./qemu-args.ts";
import { registerChild, unregisterChild } from "./reaper.ts";
import { SshSession, type ExecOptions, type ExecResult } from "./ssh.ts";

export interface GuestSpec {
  name: string;
  /** Directory for this guest's files (console.log, qemu.log, scratch disks). */
  workDir: string;
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  kernel: string;
  initrd?: string;
  /** Root image, opened read-only with a throwaway overlay (snapshot=on). */
  rootfs: string;
  /** Full kernel command line. */
  append: string;
  /** Scratch disks: sparse files created fresh in workDir. */
  scratch: { name: string; sizeMiB: number }[];
  sshKey: string;
  sink: EventSink;
}

export interface TeardownReport {
  /** The step that ended QEMU: it exited by itself, poweroff, QMP quit, SIGTERM or SIGKILL. */
  endedBy: "exited" | "poweroff" | "qmp-quit" | "sigterm" | "sigkill" | "not-started";
  exitCode?: number | null;
  signal?: string | null;
  steps: { step: string; ok: boolean; detail?: string; ms: number }[];
}

const DEADLINES = { poweroff: 20_000, qmpQuit: 8_000, sigterm: 5_000, sigkill: 5_000 };

/**
 * One QEMU guest: process, serial console, QMP, SSH. Knows nothing about filesystems.
 * Every operation has a deadline; teardown escalates poweroff → QMP quit → SIGTERM → SIGKILL.
 */
export class Guest {
  readonly consoleLog: string;
  readonly qemuLog: string;
  readonly console: ConsoleFollower;
  private sockDir = "";
  private proc: ResultPromise | undefined;
  private exitInfo: { code: number | null; signal: string | null } | undefined;
  private exited: Promise<void> = Promise.resolve();
  private qmp: QmpClient | undefined;
  ssh: SshSession | undefined;
  sshPort = 0;
  startedAt = 0;
  sshReadyAt = 0;
  /** Block device names in the guest for each scratch disk, by name (/dev/vdb, …). */
  readonly diskDevices: Record<string, string> = {};

  constructor(readonly spec: GuestSpec) {
    this.consoleLog = join(spec.workDir, "console.log");
    this.qemuLog = join(spec.workDir, "qemu.log");
    this.console = new ConsoleFollower(this.consoleLog);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return !!this.proc && !this.exitInfo;
  }

  get exit(): { code: number | null; signal: string | null } | undefined {
    return this.exitInfo;
  }

  /** Start QEMU. Resolves once the process runs and QMP answers (deadline `ms`). */
  async start(ms = 30_000): Promise<void> {
    const { spec } = this;
    await mkdir(spec.workDir, { recursive: true });
    // Unix socket paths are limited to 108 bytes: keep them in a short temp dir.
    this.sockDir = await mkdtemp(join(tmpdir(), "hangar-"));
    const qmpSocket = join(this.sockDir, "qmp.sock");
    const disks: { path: string; id: string; snapshot?: boolean }[] = [{ path: spec.rootfs, id: "root", snapshot: true }];
    const letters = "bcdefghijklmnop";
    for (const [i, d] of spec.scratch.entries()) {
      const path = join(spec.workDir, `disk-${d.name}.img`);
      // Fresh sparse file every attempt: stale signatures from an earlier run must never leak in.
      await writeFile(path, "");
      const fh = await open(path, "r+");
      await fh.truncate(d.sizeMiB * 1024 * 1024);
      await fh.close();
      disks.push({ path, id: `d-${d.name}`.slice(0, 20) });
      this.diskDevices[d.name] = `/dev/vd${letters[i]}`;
    }
    await writeFile(this.consoleLog, "");
    this.sshPort = await freePort();
    const args = buildQemuArgs({
      accel: spec.accel,
      memoryMiB: spec.memoryMiB,
      cpus: spec.cpus,
      kernel: spec.kernel,
      ...(spec.initrd ? { initrd: spec.initrd } : {}),
      append: spec.append,
      disks,
      consoleLog: this.consoleLog,
      qmpSocket,
      sshPort: this.sshPort,
    });
    await writeFile(join(spec.workDir, "qemu.cmdline.json"), JSON.stringify([QEMU_BINARY, ...args], null, 1));
    await writeFile(this.qemuLog, "");
    this.startedAt = Date.now();
    const proc = execa(QEMU_BINARY, args, {
      reject: false,
      stdin: "ignore",
      stdout: { file: this.qemuLog, append: true },
      stderr: { file: this.qemuLog, append: true },
      cleanup: true,
    });
    this.proc = proc;
    if (proc.pid) registerChild(proc.pid, `guest ${spec.name}`);
    this.exited = proc.then(
      (r) => {
        this.exitInfo = { code: r.exitCode ?? null, signal: r.signal ?? null };
      },
      (err) => {
        this.exitInfo = { code: null, signal: String(err) };
      },
    ).finally(() => {
      if (proc.pid) unregisterChild(proc.pid);
    });
    this.console.start();
    spec.sink.emit({ type: "log", level: "debug", message: `${spec.name}: qemu pid ${proc.pid}, ssh port ${this.sshPort}` });
    // QMP socket appears once QEMU has parsed its arguments.
    const end = Date.now() + ms;
    let lastErr: unknown;
    while (Date.now() < end) {
      if (this.exitInfo) throw new Error(`QEMU exited at start (code ${this.exitInfo.code}); see ${this.qemuLog}`);
      const q = new QmpClient(qmpSocket);
      try {
        await q.connect(Math.min(5_000, end - Date.now()));
        this.qmp = q;
        return;
      } catch (err) {
        lastErr = err;
        q.close();
        await sleep(100);
      }
    }
    throw new DeadlineError(`QMP of ${spec.name} (${errorMessage(lastErr)})`, ms);
  }

  /** Wait until SSH works, or QEMU exits, or the deadline passes. */
  async waitSsh(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    this.ssh = this.newSession();
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort);
    // Stop waiting as soon as QEMU dies (a panic at boot, a bad kernel).
    void this.exited.then(() => ac.abort());
    try {
      await this.ssh.waitReady(deadlineMs, this.spec.sink, ac.signal);
      this.sshReadyAt = Date.now();
    } catch (err) {
      if (this.exitInfo) throw new Error(`guest exited before SSH came up (code ${this.exitInfo.code}); see ${this.consoleLog}`);
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private newSession(): SshSession {
    return new SshSession({ host: "127.0.0.1", port: this.sshPort, user: "root", privateKeyPath: this.spec.sshKey });
  }

  /** Replace a dropped SSH connection (one try, deadline `ms`). */
  async reconnect(ms: number): Promise<void> {
    this.ssh?.close();
    const s = this.newSession();
    await s.connect(ms);
    this.ssh = s;
  }

  /** Run a (quoted) shell command over SSH, with a deadline. */
  exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (!this.ssh?.connected) return Promise.reject(new Error(`${this.spec.name}: ssh is not connected`));
    return this.ssh.exec(command, opts);
  }

  /** SysRq through the emulated keyboard (QMP), so it works when SSH and userspace are dead. */
  async sysrq(key: string): Promise<void> {
    if (!this.qmp) throw new Error("no QMP connection");
    await this.qmp.sysrq(key, 5_000);
  }

  /** Resolves when QEMU has exited, or rejects with DeadlineError after `ms`. */
  waitExit(ms: number): Promise<void> {
    return withDeadline(this.exited, ms, `${this.spec.name}: QEMU exit`);
  }

  /** Stop the guest, escalating with a deadline at each step. Never throws; never leaves QEMU running. */
  async teardown(opts: { graceful?: boolean } = {}): Promise<TeardownReport> {
    const report: TeardownReport = { endedBy: "not-started", steps: [] };
    const step = async (name: string, fn: () => Promise<void>, ms: number): Promise<boolean> => {
      const t0 = Date.now();
      try {
        await withDeadline(fn(), ms, name);
        await this.waitExit(Math.max(1, ms - (Date.now() - t0)));
        report.steps.push({ step: name, ok: true, ms: Date.now() - t0 });
        return true;
      } catch (err) {
        report.steps.push({ step: name, ok: false, detail: errorMessage(err), ms: Date.now() - t0 });
        return false;
      }
    };
    if (this.proc) {
      if (this.exitInfo) report.endedBy = "exited";
      else if (opts.graceful !== false && this.ssh?.connected && (await step("poweroff", async () => {
        await this.ssh!.exec("systemctl poweroff --no-block || poweroff -f", { timeoutMs: 5_000 }).catch(() => {});
      }, DEADLINES.poweroff))) report.endedBy = "poweroff";
      else if (this.qmp && (await step("qmp-quit", async () => {
        await this.qmp!.execute("quit", undefined, 5_000).catch((e) => {
          // QEMU closes the socket as it quits: that is success, not failure.
          if (!/closed/.test(String(e))) throw e;
        });
      }, DEADLINES.qmpQuit))) report.endedBy = "qmp-quit";
      else if (await step("sigterm", async () => {
        this.proc!.kill("SIGTERM");
        // A SIGSTOPped QEMU only acts on SIGTERM once continued.
        this.proc!.kill("SIGCONT");
      }, DEADLINES.sigterm)) report.endedBy = "sigterm";
      else if (await step("sigkill", async () => {
        this.proc!.kill("SIGKILL");
      }, DEADLINES.sigkill)) report.endedBy = "sigkill";
      report.exitCode = this.exitInfo?.code ?? null;
      report.signal = this.exitInfo?.signal ?? null;
    }
    this.ssh?.close();
    this.qmp?.close();
    await this.console.stop();
    if (this.sockDir) await rm(this.sockDir, { recursive: true, force: true }).catch(() => {});
    // Scratch disks are throwaway; they can be large even when sparse.
    await Promise.all(this.spec.scratch.map((d) => rm(join(this.spec.workDir, `disk-${d.name}.img`), { force: true }).catch(() => {})));
    return report;
  }
}
