/**
 * The one progress stream of hangar. Every long step (image build, kernel build, boot,
 * guest phases, detection) emits events here; the CLI renders them, the run log records
 * them as JSON lines, and tests read them.
 */
export type Level = "debug" | "info" | "warn" | "error";

export type HangarEvent =
  /** A step begins, ends or fails. `step` is a dotted name such as "image.build" or "vm.boot". */
  | { type: "step"; step: string; status: "start" | "done" | "fail"; detail?: string; elapsedMs?: number }
  /** Progress inside a step (a line of tool output, a percentage, a phase). */
  | { type: "progress"; step: string; message: string }
  /** Free-form message. */
  | { type: "log"; level: Level; message: string }
  /** A guest phase marker written to /dev/kmsg. */
  | { type: "phase"; guest: string; phase: string }
  /** A kernel report detected while a guest runs. */
  | { type: "report"; guest: string; kind: string; title: string }
  /** An attempt or scenario verdict. */
  | { type: "verdict"; scenario: string; attempt?: number; verdict: string; detail?: string };

export type TimedEvent = HangarEvent & { t: number };

export interface EventSink {
  emit(event: HangarEvent): void;
}

/** Fan-out event bus. Listeners that throw are isolated from each other and from emitters. */
export class EventBus implements EventSink {
  private readonly listeners = new Set<(e: TimedEvent) => void>();

  emit(event: HangarEvent): void {
    const timed = { ...event, t: Date.now() } as TimedEvent;
    for (const l of this.listeners) {
      try {
        l(timed);
      } catch {
        /* a broken renderer must never break the run */
      }
    }
  }

  on(listener: (e: TimedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A sink that drops everything (for callers that do not care about progress). */
export const nullSink: EventSink = { emit() {} };

/** Time a step: emits start, then done or fail with the elapsed time, and rethrows failures. */
export async function timedStep<T>(sink: EventSink, step: string, fn: () => Promise<T>, detail?: string): Promise<T> {
  const t0 = Date.now();
  sink.emit({ type: "step", step, status: "start", ...(detail ? { detail } : {}) });
  try {
    const v = await fn();
    sink.emit({ type: "step", step, status: "done", elapsedMs: Date.now() - t0 });
    return v;
  } catch (err) {
    sink.emit({ type: "step", step, status: "fail", detail: errorMessage(err), elapsedMs: Date.now() - t0 });
    throw err;
  }
}

/** The last `n` lines of a command's output on one line, for error messages. */
export function lastLines(text: string, n = 3): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
