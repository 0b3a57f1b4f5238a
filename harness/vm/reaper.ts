import { onShutdownKill } from "../common/index.ts";

/**
 * Every QEMU process hangar starts is registered here, so Ctrl-C, SIGTERM or the exit of
 * hangar never leaves a guest behind.
 */
const live = new Map<number, { what: string; unregister: () => void }>();

export function registerChild(pid: number, what: string): void {
  const unregister = onShutdownKill(() => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  });
  live.set(pid, { what, unregister });
}

export function unregisterChild(pid: number): void {
  live.get(pid)?.unregister();
  live.delete(pid);
}

export function liveChildren(): { pid: number; what: string }[] {
  return [...live].map(([pid, v]) => ({ pid, what: v.what }));
}
