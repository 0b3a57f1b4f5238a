/**
 * Ctrl-C, SIGTERM and SIGHUP: what hangar does on the way out.
 *
 * - Killers (synchronous: SIGKILL to every QEMU hangar started) run at once.
 * - Guarded work (an image build with mounts to undo) sees `shutdownSignal` abort and gets
 *   up to GRACE_MS to clean up; hangar exits when the last guarded task is done.
 * - Nothing guarded: exit at once (130 for SIGINT, 143 SIGTERM, 129 SIGHUP).
 * - A further signal more than 2 s after the first forces the exit (one Ctrl-C can arrive
 *   twice, through the terminal and through tsx, so an immediate repeat is not "again").
 */
const killers = new Set<() => void>();
const ac = new AbortController();
let installed = false;
let busy = 0;
let exitCode: number | undefined;
let firstAt = 0;
const GRACE_MS = 30_000;

export const shutdownSignal: AbortSignal = ac.signal;

function runKillers(): void {
  for (const k of killers) {
    try {
      k();
    } catch {
      /* keep killing the rest */
    }
  }
}

function handle(sig: NodeJS.Signals): void {
  const code = sig === "SIGINT" ? 130 : sig === "SIGTERM" ? 143 : 129;
  if (exitCode !== undefined) {
    if (Date.now() - firstAt > 2_000) {
      runKillers();
      process.exit(exitCode);
    }
    return;
  }
  exitCode = code;
  firstAt = Date.now();
  if (killers.size || busy) {
    process.stderr.write(`\nhangar: ${sig}: stopping${busy ? ` (cleaning up, up to ${GRACE_MS / 1000} s; again to force)` : ""}\n`);
  }
  runKillers();
  ac.abort();
  if (!busy) process.exit(code);
  setTimeout(() => process.exit(code), GRACE_MS).unref();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", runKillers);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, handle);
}

/** Run `kill` synchronously when hangar is interrupted or exits. Returns an unregister function. */
export function onShutdownKill(kill: () => void): () => void {
  install();
  killers.add(kill);
  return () => killers.delete(kill);
}

/** Work that must clean up when interrupted: it gets `shutdownSignal` and hangar waits for it (up to 30 s). */
export async function guarded<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  install();
  busy++;
  try {
    return await fn(ac.signal);
  } finally {
    busy--;
    if (exitCode !== undefined && busy === 0) process.exit(exitCode);
  }
}
