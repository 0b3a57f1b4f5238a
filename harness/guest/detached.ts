import { shQuote } from "./quote.ts";

/**
 * A long guest command that outlives its SSH connection. The command runs in its own session
 * (setsid) with its output in files under /run/hangar/steps/<id>, so a connection dropped
 * under load (a keepalive missed while the guest is starved) does not hang up the workload:
 * the harness reconnects and attaches again, and gets the same exit code and output as if
 * nothing had happened. xfstests-bld and kdevops run their tests detached for the same reason.
 */
export interface DetachedCommands {
  /** Start the command and wait for it; prints its output and exits with its status. */
  start: string;
  /** Wait for an already started command; same output and status as `start`. */
  attach: string;
  /** Kill the command's whole session (best effort, for a command past its deadline). */
  kill: string;
}

const STEPS_DIR = "/run/hangar/steps";
/** Output kept per stream, the last bytes (the harness keeps a shorter tail still). */
const OUTPUT_BYTES = 65536;
/** Exit status reported when the command's runner vanished without writing one (killed by the OOM killer, say). */
export const RUNNER_VANISHED = 125;

/** `base` is where the command's files go (the guest's /run/hangar/steps unless a test says otherwise). */
export function detachedCommands(id: string, command: string, base = STEPS_DIR): DetachedCommands {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`detached command id must be a plain name: ${JSON.stringify(id)}`);
  const dir = shQuote(`${base}/${id}`);
  // The runner records its session id first and its status last (renamed into place, so a
  // status file is never seen half-written). Output goes through `tail -c`, so a chatty
  // workload cannot fill the guest's tmpfs while memory is what the scenario starves.
  const keep = `tail -c ${OUTPUT_BYTES}`;
  const runner =
    `echo $$ > "$2/sid"; ` +
    `{ { sh -c "$1"; echo $? > "$2/rc.new"; } 2>&1 1>&3 | ${keep} > "$2/err"; } 3>&1 | ${keep} > "$2/out"; ` +
    `mv "$2/rc.new" "$2/rc"`;
  const attach = [
    `d=${dir}`,
    `[ -d "$d" ] || { echo "hangar: no such detached command: ${id}" >&2; exit ${RUNNER_VANISHED}; }`,
    `while [ ! -s "$d/rc" ]; do`,
    `  if [ -s "$d/sid" ] && ! kill -0 "$(cat "$d/sid")" 2>/dev/null && [ ! -s "$d/rc" ]; then`,
    `    echo "hangar: the runner of ${id} vanished without an exit status" >&2; exit ${RUNNER_VANISHED}`,
    `  fi`,
    `  sleep 0.5`,
    `done`,
    `cat "$d/out"; cat "$d/err" >&2`,
    `exit "$(cat "$d/rc")"`,
  ].join("\n");
  const start = [
    `rm -rf ${dir} && mkdir -p ${dir}`,
    `setsid sh -c ${shQuote(runner)} hangar-step ${shQuote(command)} ${dir} < /dev/null > /dev/null 2>&1 &`,
    // While this connection lives, wait for the runner directly (no polling delay).
    `wait $! 2>/dev/null || true`,
    `i=0; while [ ! -s ${dir}/sid ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done`,
    attach,
  ].join("\n");
  return { start, attach, kill: killSessionCommand(`${base}/${id}/sid`) };
}

/** End the session whose id the file holds (TERM, a second, KILL), when the file is there. */
export function killSessionCommand(sidFile: string): string {
  const f = shQuote(sidFile);
  return `if [ -s ${f} ]; then sid=$(cat ${f}); pkill -TERM -s "$sid" || true; sleep 1; pkill -KILL -s "$sid" || true; fi`;
}
