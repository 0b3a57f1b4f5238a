import { errorMessage, sleep, type EventSink } from "../common/index.ts";
import { HEARTBEAT_COMMAND } from "../guest/index.ts";
import type { Guest } from "../vm/index.ts";

export interface WatchdogOptions {
  /** Wall-clock deadline of the attempt, as an absolute time (ms since epoch). */
  deadlineAt: number;
  heartbeatEveryMs: number;
  heartbeatTimeoutMs: number;
  /** Consecutive missed heartbeats that make the guest unresponsive. */
  misses: number;
}

export type TripReason = { kind: "deadline" | "unresponsive" | "qemu-exited"; detail: string };

export const DEFAULT_WATCHDOG: Omit<WatchdogOptions, "deadlineAt"> = {
  heartbeatEveryMs: 5_000,
  heartbeatTimeoutMs: 15_000,
  misses: 3,
};

/**
 * Watches one guest: a wall-clock deadline, an SSH heartbeat and QEMU's liveness. When one
 * fails it aborts `signal`, so whatever the attempt awaits is cut short. Heartbeats only
 * start once `armHeartbeat()` is called (after SSH is up).
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
    private readonly guest: Guest,
    private readonly opts: WatchdogOptions,
    private readonly sink: EventSink,
  ) {}

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  start(): void {
    const left = Math.max(0, this.opts.deadlineAt - Date.now());
    this.timer = setTimeout(() => this.trip({ kind: "deadline", detail: `attempt deadline passed` }), left);
    this.timer.unref();
    void this.guest.waitExit(Math.max(1, left + 60_000)).then(
      () => {
        if (!this.stopped) this.trip({ kind: "qemu-exited", detail: `QEMU exited (code ${this.guest.exit?.code ?? "?"})` });
      },
      () => {},
    );
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
      let ok = false;
      try {
        // A dropped connection (keepalive timeout under load) is retried once per beat.
        if (!this.guest.ssh?.connected) await this.guest.reconnect(this.opts.heartbeatTimeoutMs);
        const r = await this.guest.exec(HEARTBEAT_COMMAND, { timeoutMs: this.opts.heartbeatTimeoutMs });
        ok = !r.timedOut && r.code === 0;
      } catch (err) {
        this.sink.emit({ type: "log", level: "debug", message: `heartbeat: ${errorMessage(err)}` });
      }
      if (this.stopped) return;
      if (ok) {
        this.missed = 0;
        this.beats++;
      } else if (++this.missed >= this.opts.misses) {
        this.trip({ kind: "unresponsive", detail: `guest unresponsive: ${this.missed} heartbeats missed (each ${this.opts.heartbeatTimeoutMs / 1000} s)` });
        return;
      } else {
        this.sink.emit({ type: "log", level: "warn", message: `${this.guest.spec.name}: heartbeat missed (${this.missed}/${this.opts.misses})` });
      }
    }
  }

  trip(reason: TripReason): void {
    if (this.reason || this.stopped) return;
    this.reason = reason;
    this.sink.emit({ type: "log", level: "warn", message: `${this.guest.spec.name}: watchdog: ${reason.detail}` });
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
    const onAbort = () => reject(new Error("aborted by watchdog"));
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
