/**
 * Every QEMU process hangar starts is registered here, so Ctrl-C, SIGTERM or a crash of
 * hangar itself never leaves a guest behind.
 */
const live = new Map<number, string>();
let installed = false;

function killAll(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (live.size) process.stderr.write(`\nhangar: ${sig}: stopping ${live.size} guest(s)\n`);
      killAll();
      process.exit(sig === "SIGINT" ? 130 : sig === "SIGTERM" ? 143 : 129);
    });
  }
}

export function registerChild(pid: number, what: string): void {
  install();
  live.set(pid, what);
}

export function unregisterChild(pid: number): void {
  live.delete(pid);
}

export function liveChildren(): { pid: number; what: string }[] {
  return [...live].map(([pid, what]) => ({ pid, what }));
}
