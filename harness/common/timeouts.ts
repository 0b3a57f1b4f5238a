/**
 * Every deadline hangar's orchestrator uses, in one table, with one scale factor for slow or
 * busy hosts: `--time-scale F` or HANGAR_TIME_SCALE=F multiplies them all (a loaded 2-core
 * machine running TCG guests next to a kernel build may want 2). Scenario-level times (step
 * timeouts, deadlines, cooldowns) are the scenario's own and are not scaled here.
 */
export const TIMEOUTS = {
  /** Boot to SSH ready, at most (the scenario's deadline caps it further). */
  boot: 180_000,
  /** QEMU parses its arguments and its QMP socket answers. */
  qmpStart: 30_000,
  /** One QMP command (sysrq, quit). */
  qmpCommand: 5_000,
  /** Reconnecting a dropped SSH connection. */
  sshReconnect: 15_000,
  /** Pause before running a command again (or attaching to a step) after its SSH connection dropped (times the try number). */
  lostConnectionPause: 2_000,
  /** Short guest commands: phase markers, uname, sysctl, module parameters. */
  guestShort: 15_000,
  /** Reading the guest's kernel config. */
  kernelConfig: 30_000,
  /** Copying a test module into the guest. */
  moduleCopy: 60_000,
  /** Building one storage layer; taking one down; inspecting one. */
  storageBuild: 180_000,
  storageTeardown: 60_000,
  storageInspect: 30_000,
  /** Starting pressure (cgroup, loops, snapshots); stopping it and collecting samples. */
  pressureCommand: 60_000,
  pressureStop: 30_000,
  /** Heartbeat period and the deadline of one heartbeat. */
  heartbeatEvery: 5_000,
  heartbeatTimeout: 15_000,
  /** Time for a SysRq dump to reach the console before the next key. */
  sysrqSettle: 4_000,
  /** The kernel-log follower drains what the kernel printed last. */
  followerDrain: 1_500,
  /** Teardown escalation: each step's deadline. */
  poweroff: 20_000,
  qmpQuit: 8_000,
  sigterm: 5_000,
  sigkill: 5_000,
  /** Parsing the attempt's logs after teardown. */
  finalParse: 60_000,
} as const;

export type TimeoutName = keyof typeof TIMEOUTS;

let scale: number | undefined;

/** Bounds of the scale factor: below 0.1 nothing boots, beyond 100 nothing is ever declared stuck. */
export const TIME_SCALE_RANGE = { min: 0.1, max: 100 } as const;

/** Parse a time scale (CLI or environment); throws a message naming what was expected. */
export function parseTimeScale(v: string, where = "--time-scale"): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < TIME_SCALE_RANGE.min || n > TIME_SCALE_RANGE.max) {
    throw new RangeError(`${where}: expected a number from ${TIME_SCALE_RANGE.min} to ${TIME_SCALE_RANGE.max}, got "${v}"`);
  }
  return n;
}

/** Set the scale for this process (the CLI's --time-scale). */
export function setTimeScale(f: number): void {
  scale = parseTimeScale(String(f));
}

/** The scale in force: --time-scale, else HANGAR_TIME_SCALE, else 1. */
export function timeScale(): number {
  if (scale !== undefined) return scale;
  const env = process.env.HANGAR_TIME_SCALE;
  scale = env ? parseTimeScale(env, "HANGAR_TIME_SCALE") : 1;
  return scale;
}

/** Node's timers fire at once beyond this (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A deadline from the table, scaled (and kept within what a timer can wait). */
export function timeout(name: TimeoutName): number {
  return Math.min(MAX_TIMER_MS, Math.round(TIMEOUTS[name] * timeScale()));
}
