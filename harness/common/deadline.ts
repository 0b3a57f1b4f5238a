/** Every wait in hangar has a deadline. These helpers make that the easy path. */

export class DeadlineError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what}: no answer within ${formatMs(ms)}`);
    this.name = "DeadlineError";
  }
}

/** Resolve with `p`, or reject with DeadlineError after `ms`. The timer never keeps node alive. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        onTimeout?.();
      } finally {
        reject(new DeadlineError(what, ms));
      }
    }, ms);
    timer.unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Sleep that does not keep the process alive on its own and can be cut short by an AbortSignal. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Retry `fn` with exponential backoff until it resolves or `deadlineMs` has passed.
 * Each try is itself bounded by `tryMs`. Returns the value, or throws the last error
 * wrapped in a DeadlineError message.
 */
export async function retryUntil<T>(
  what: string,
  fn: () => Promise<T>,
  opts: { deadlineMs: number; tryMs: number; initialDelayMs?: number; maxDelayMs?: number; signal?: AbortSignal },
): Promise<T> {
  const end = Date.now() + opts.deadlineMs;
  let delay = opts.initialDelayMs ?? 250;
  let last: unknown;
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`${what}: aborted`);
    const left = end - Date.now();
    if (left <= 0) break;
    try {
      return await withDeadline(fn(), Math.min(opts.tryMs, left), what);
    } catch (err) {
      last = err;
    }
    const wait = Math.min(delay, end - Date.now());
    if (wait <= 0) break;
    await sleep(wait, opts.signal);
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 2000);
  }
  const why = last instanceof Error ? last.message : String(last ?? "never tried");
  throw new DeadlineError(`${what} (last error: ${why})`, opts.deadlineMs);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
