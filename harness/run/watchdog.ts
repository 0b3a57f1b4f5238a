import { MAX_TIMER_MS, sleep, timeout, type EventSink } from "../common/index.ts";
import type { Accel, Machine } from "../vm/index.ts";

export interface WatchdogOptions {
  /** Wall-clock deadline of the attempt, as an absolute time (ms since epoch). */
  deadlineAt: number;
  heartbeatEveryMs: number;
  heartbeatTimeoutMs: number;
  /** Consecutive missed heartbeats that make the guest unresponsive. */
  misses: number;
}

export type TripReason = { kind: "deadline" | "unresponsive" | "qemu-exited" | "interrupted"; detail: string };

/**
 * How much longer one heartbeat may take under TCG. A busy emulated guest can leave sshd's
 * session unforked for tens of seconds without being wedged: a stock 6.12 guest under the
 * nfs-localio scenario's writers went 45 s without answering, with dozens of tasks runnable and no
 * deadlock in its SysRq dumps (docs/architecture.md, "Watchdog"). Like the kernel's own detectors
 * (EMULATION_THRESHOLDS), the heartbeat is more tolerant there; a wedged guest is still declared
 * unresponsive within 3 × (5 + 45) + 5 s, and the attempt's deadline still bounds everything.
 */
export const EMULATION_HEARTBEAT_FACTOR = 3;

/** Heartbeat settings from the timeouts table (scaled by --time-scale), for the guest's accelerator. */
export function defaultWatchdog(accel: Accel = "kvm"): Omit<WatchdogOptions, "deadlineAt"> {
  const perBeat = timeout("heartbeatTimeout") * (accel === "tcg" ? EMULATION_HEARTBEAT_FACTOR : 1);
  return { heartbeatEveryMs: timeout("heartbeatEvery"), heartbeatTimeoutMs: Math.min(MAX_TIMER_MS, perBeat), misses: 3 };
}

/**
 * Watches one machine: a wall-clock deadline, a heartbeat (the machine's health check, which
 * re-makes a dropped connection) and the machine's liveness. When one fails it aborts
 * `signal`, so whatever the attempt awaits is cut short. Heartbeats only start once
 * `armHeartbeat()` is called (after boot).
 */
export class Watchdog {
  private readonly ac = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private heartbeatOn = false;
  private stopped = false;
  reason: TripReason | undefined;
  missed = 0;
  beats = 0;

  constructor(
    private readonly machine: Machine,
    private readonly opts: WatchdogOptions,
    private readonly sink: EventSink,
  ) {}

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  /** The longest the watchdog needs to declare a silent guest unresponsive. */
  get window(): number {
    return this.opts.misses * (this.opts.heartbeatEveryMs + this.opts.heartbeatTimeoutMs) + this.opts.heartbeatEveryMs;
  }

  start(): void {
    const left = Math.max(0, this.opts.deadlineAt - Date.now());
    this.timer = setTimeout(() => this.trip({ kind: "deadline", detail: `attempt deadline passed` }), left);
    this.timer.unref();
    void this.machine.exited.then((e) => {
      if (!this.stopped) this.trip({ kind: "qemu-exited", detail: `the machine exited (code ${e.code ?? "?"}${e.signal ? `, ${e.signal}` : ""})` });
    });
  }

  armHeartbeat(): void {
    if (this.heartbeatOn) return;
    this.heartbeatOn = true;
    void this.heartbeatLoop();
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.stopped && !this.ac.signal.aborted) {
      await sleep(this.opts.heartbeatEveryMs, this.ac.signal);
      if (this.stopped || this.ac.signal.aborted) return;
      const ok = await this.machine.healthCheck(this.opts.heartbeatTimeoutMs).catch(() => false);
      if (this.stopped) return;
      if (ok) {
        this.missed = 0;
        this.beats++;
      } else if (++this.missed >= this.opts.misses) {
        this.trip({ kind: "unresponsive", detail: `guest unresponsive: ${this.missed} heartbeats missed (each ${this.opts.heartbeatTimeoutMs / 1000} s)` });
        return;
      } else {
        this.sink.emit({ type: "log", level: "warn", message: `${this.machine.name}: heartbeat missed (${this.missed}/${this.opts.misses})` });
      }
    }
  }

  trip(reason: TripReason): void {
    if (this.reason || this.stopped) return;
    this.reason = reason;
    this.sink.emit({ type: "log", level: "warn", message: `${this.machine.name}: watchdog: ${reason.detail}` });
    this.ac.abort();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Await `p`, but give up as soon as `signal` aborts (the awaited work is abandoned, not awaited). */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The abandoned work may still fail: that is not an unhandled rejection.
    p.catch(() => {});
    return Promise.reject(new Error("aborted by watchdog"));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      reject(new Error("aborted by watchdog"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
