import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { DeadlineError, errorMessage, sleep, timeout, withDeadline } from "../common/index.ts";
import { FILES } from "../results/layout.ts";
import { QEMU_BINARY } from "./accel.ts";
import { ConsoleFollower } from "./console.ts";
import { KMSG_FOLLOW_COMMAND, KmsgCursor } from "./kmsg.ts";
import type { ExecOptions, ExecResult, KernelLogFollower, KernelLogStatus, Machine, MachineExit, MachineSpec, TeardownReport } from "./machine.ts";
import { freePort } from "./ports.ts";
import { QmpClient } from "./qmp.ts";
import { buildQemuArgs } from "./qemu-args.ts";
import { registerChild, unregisterChild } from "./reaper.ts";
import { SshSession } from "./ssh.ts";

interface KernelLogState {
  cursor: KmsgCursor;
  onLine: (line: string) => void;
  stopChannel?: () => void;
  stopped: boolean;
}

const DISK_LETTERS = "bcdefghijklmnop";

/**
 * A QEMU guest: process, serial console (a file), QMP (SysRq, quit) and SSH (commands and the
 * kernel log). Knows nothing about filesystems or scenarios.
 */
export class QemuMachine implements Machine {
  readonly name: string;
  readonly consoleLog: string;
  readonly qemuLog: string;
  readonly disks: Record<string, string> = {};
  readonly exited: Promise<MachineExit>;
  private readonly console: ConsoleFollower;
  private resolveExited!: (e: MachineExit) => void;
  private exitInfo: MachineExit | undefined;
  private sockDir = "";
  private proc: ResultPromise | undefined;
  private qmp: QmpClient | undefined;
  private ssh: SshSession | undefined;
  private sshPort = 0;
  private reconnecting: Promise<boolean> | undefined;
  private kernelLog: KernelLogState | undefined;

  constructor(readonly spec: MachineSpec) {
    this.name = spec.name;
    this.consoleLog = join(spec.workDir, FILES.console);
    this.qemuLog = join(spec.workDir, FILES.qemuLog);
    this.console = new ConsoleFollower(this.consoleLog);
    this.exited = new Promise((r) => (this.resolveExited = r));
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return !!this.proc && !this.exitInfo;
  }

  /** The SSH port forwarded to the guest (for `hangar ssh`'s interactive client). */
  get port(): number {
    return this.sshPort;
  }

  onConsoleLine(fn: (line: string) => void): () => void {
    return this.console.onLine(fn);
  }

  async boot(deadlineMs: number, signal?: AbortSignal): Promise<{ bootMs: number }> {
    const t0 = Date.now();
    await this.start(Math.min(deadlineMs, timeout("qmpStart")));
    await this.waitSsh(Math.max(1, deadlineMs - (Date.now() - t0)), signal);
    return { bootMs: Date.now() - t0 };
  }

  /** Start QEMU. Resolves once the process runs and QMP answers (deadline `ms`). */
  private async start(ms: number): Promise<void> {
    const { spec } = this;
    await mkdir(spec.workDir, { recursive: true });
    // Unix socket paths are limited to 108 bytes: keep them in a short temp dir.
    this.sockDir = await mkdtemp(join(tmpdir(), "hangar-"));
    const qmpSocket = join(this.sockDir, "qmp.sock");
    const disks: { path: string; id: string; snapshot?: boolean }[] = [{ path: spec.rootfs, id: "root", snapshot: true }];
    for (const [i, d] of spec.scratch.entries()) {
      const path = this.scratchPath(d.name);
      // Fresh sparse file every attempt: stale signatures from an earlier run must never leak in.
      await writeFile(path, "");
      const fh = await open(path, "r+");
      await fh.truncate(d.sizeMiB * 1024 * 1024);
      await fh.close();
      disks.push({ path, id: `d-${d.name}`.slice(0, 20) });
      this.disks[d.name] = `/dev/vd${DISK_LETTERS[i]}`;
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
    await writeFile(join(spec.workDir, FILES.qemuCmdline), JSON.stringify([QEMU_BINARY, ...args], null, 1));
    await writeFile(this.qemuLog, "");
    const proc = execa(QEMU_BINARY, args, {
      reject: false,
      stdin: "ignore",
      stdout: { file: this.qemuLog, append: true },
      stderr: { file: this.qemuLog, append: true },
      cleanup: true,
    });
    this.proc = proc;
    if (proc.pid) registerChild(proc.pid, `guest ${spec.name}`);
    void proc
      .then(
        (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
        (err: unknown) => ({ code: null, signal: String(err) }),
      )
      .then((e) => {
        if (proc.pid) unregisterChild(proc.pid);
        this.exitInfo = e;
        this.resolveExited(e);
      });
    this.console.start();
    spec.sink.emit({ type: "log", level: "debug", message: `${spec.name}: qemu pid ${proc.pid}, ssh port ${this.sshPort}` });
    // The QMP socket appears once QEMU has parsed its arguments.
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
  private async waitSsh(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    this.ssh = this.newSession();
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort);
    // Stop waiting as soon as QEMU dies (a panic at boot, a bad kernel).
    void this.exited.then(() => ac.abort());
    try {
      await this.ssh.waitReady(deadlineMs, this.spec.sink, ac.signal);
    } catch (err) {
      if (this.exitInfo) throw new Error(`guest exited before SSH came up (code ${this.exitInfo.code}); see ${this.consoleLog}`);
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private newSession(): SshSession {
    return new SshSession({
      host: "127.0.0.1",
      port: this.sshPort,
      user: "root",
      privateKeyPath: this.spec.sshKey,
      ...(this.spec.hostKey ? { hostKey: this.spec.hostKey } : {}),
    });
  }

  /** Replace a dropped SSH connection (one try at a time), then restart the kernel-log follower on it. */
  private reconnect(ms: number): Promise<boolean> {
    this.reconnecting ??= (async () => {
      try {
        this.ssh?.close();
        const s = this.newSession();
        await s.connect(ms);
        this.ssh = s;
        this.spec.sink.emit({ type: "log", level: "info", message: `${this.name}: ssh reconnected` });
        if (this.kernelLog && !this.kernelLog.stopped) {
          this.kernelLog.cursor.restart();
          this.startKernelLogChannel();
        }
        return true;
      } catch (err) {
        this.spec.sink.emit({ type: "log", level: "debug", message: `${this.name}: ssh reconnect failed: ${errorMessage(err)}` });
        return false;
      } finally {
        this.reconnecting = undefined;
      }
    })();
    return this.reconnecting;
  }

  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (!this.ssh?.connected && this.running) await this.reconnect(Math.min(opts.timeoutMs, timeout("sshReconnect")));
    if (!this.ssh?.connected) throw new Error(`${this.name}: ssh is not connected`);
    return this.ssh.exec(command, opts);
  }

  async healthCheck(timeoutMs: number): Promise<boolean> {
    if (!this.running) return false;
    if (!this.ssh?.connected && !(await this.reconnect(timeoutMs))) return false;
    try {
      const r = await this.ssh!.exec("true", { timeoutMs });
      return !r.timedOut && r.code === 0;
    } catch {
      return false;
    }
  }

  followKernelLog(onLine: (line: string) => void): KernelLogFollower {
    if (this.kernelLog) throw new Error(`${this.name}: the kernel log is already followed`);
    const kl: KernelLogState = { cursor: new KmsgCursor(), onLine, stopped: false };
    this.kernelLog = kl;
    if (this.ssh?.connected) this.startKernelLogChannel();
    return {
      status: () => kl.cursor.status(),
      stop: async (drainMs: number): Promise<KernelLogStatus> => {
        // Records arrive as the kernel prints them; wait until none came for a moment, at most drainMs.
        const end = Date.now() + drainMs;
        let last = kl.cursor.status().records;
        while (this.ssh?.connected && Date.now() < end) {
          await sleep(Math.min(300, Math.max(1, end - Date.now())));
          const now = kl.cursor.status().records;
          if (now === last) break;
          last = now;
        }
        kl.stopped = true;
        kl.stopChannel?.();
        return kl.cursor.status();
      },
    };
  }

  private startKernelLogChannel(): void {
    const kl = this.kernelLog!;
    kl.stopChannel?.();
    try {
      const f = this.ssh!.follow(KMSG_FOLLOW_COMMAND, (raw) => {
        for (const line of kl.cursor.push(raw)) kl.onLine(line);
      });
      kl.stopChannel = f.stop;
    } catch (err) {
      this.spec.sink.emit({ type: "log", level: "warn", message: `${this.name}: kernel log follower not started: ${errorMessage(err)}` });
    }
  }

  async sysrq(key: string): Promise<void> {
    if (!this.qmp) throw new Error("no QMP connection");
    await this.qmp.sysrq(key, timeout("qmpCommand"));
  }

  private scratchPath(disk: string): string {
    return join(this.spec.workDir, `disk-${disk}.img`);
  }

  async teardown(opts: { graceful?: boolean } = {}): Promise<TeardownReport> {
    const report: TeardownReport = { endedBy: "not-started", steps: [] };
    try {
      await this.escalate(report, opts.graceful !== false);
    } catch (err) {
      report.steps.push({ step: "teardown", ok: false, detail: errorMessage(err), ms: 0 });
    }
    if (this.kernelLog) {
      this.kernelLog.stopped = true;
      this.kernelLog.stopChannel?.();
    }
    this.ssh?.close();
    this.qmp?.close();
    await this.console.stop().catch(() => {});
    if (this.sockDir) await rm(this.sockDir, { recursive: true, force: true }).catch(() => {});
    // Scratch disks are throwaway; they can be large even when sparse.
    await Promise.all(this.spec.scratch.map((d) => rm(this.scratchPath(d.name), { force: true }).catch(() => {})));
    return report;
  }

  /** poweroff → QMP quit → SIGTERM → SIGKILL, each with its deadline, until QEMU has exited. */
  private async escalate(report: TeardownReport, graceful: boolean): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const step = async (name: TeardownReport["endedBy"], fn: () => Promise<void>, ms: number): Promise<boolean> => {
      const t0 = Date.now();
      try {
        await withDeadline(fn(), ms, name);
        await withDeadline(this.exited, Math.max(1, ms - (Date.now() - t0)), `${this.name}: QEMU exit`);
        report.steps.push({ step: name, ok: true, ms: Date.now() - t0 });
        report.endedBy = name;
        return true;
      } catch (err) {
        report.steps.push({ step: name, ok: false, detail: errorMessage(err), ms: Date.now() - t0 });
        return false;
      }
    };
    if (this.exitInfo) report.endedBy = "exited";
    else
      (graceful &&
        this.ssh?.connected &&
        (await step("poweroff", async () => {
          await this.ssh!.exec("systemctl poweroff --no-block || poweroff -f", { timeoutMs: timeout("guestShort") }).catch(() => {});
        }, timeout("poweroff")))) ||
        (this.qmp &&
          (await step("qmp-quit", async () => {
            await this.qmp!.execute("quit", undefined, timeout("qmpCommand")).catch((e) => {
              // QEMU closes the socket as it quits: that is success, not failure.
              if (!/closed/.test(String(e))) throw e;
            });
          }, timeout("qmpQuit")))) ||
        (await step("sigterm", async () => {
          proc.kill("SIGTERM");
          // A SIGSTOPped QEMU only acts on SIGTERM once continued.
          proc.kill("SIGCONT");
        }, timeout("sigterm"))) ||
        (await step("sigkill", async () => {
          proc.kill("SIGKILL");
        }, timeout("sigkill"))) ||
        (report.endedBy = "still-running");
    report.exitCode = this.exitInfo?.code ?? null;
    report.signal = this.exitInfo?.signal ?? null;
  }
}

/** The QEMU implementation of the machine factory. */
export function createQemuMachine(spec: MachineSpec): QemuMachine {
  return new QemuMachine(spec);
}
