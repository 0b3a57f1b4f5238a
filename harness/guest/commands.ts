import { shEnv, shJoin, shQuote } from "./quote.ts";

/**
 * Command plans: what hangar runs inside a guest, as shell command strings built only by
 * the quoting helpers. Nothing here knows about QEMU.
 */

/** Write a harness marker into the kernel log, so phases and kernel reports share one clock. */
export function markCommand(fields: Record<string, string | number>): string {
  const text = "hangar: " + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(" ");
  return `printf '%s\\n' ${shQuote(text)} > /dev/kmsg`;
}

/** Apply detector settings (hung task, soft lockup, extra sysctls). Fails if any key is unknown to the kernel. */
export function sysctlCommand(settings: Record<string, string | number>): string | undefined {
  const entries = Object.entries(settings);
  if (!entries.length) return undefined;
  return entries.map(([k, v]) => shJoin(["sysctl", "-q", "-w", `${k}=${v}`])).join(" && ");
}

/** Run a scenario step's script with `sh -eu`, with the given environment. */
export function stepCommand(script: string, env: Record<string, string>): string {
  const assign = shEnv(env);
  return `${assign ? assign + " " : ""}sh -eu -c ${shQuote(script)}`;
}

/** Print the running kernel's config (for CONFIG_* requirement checks). */
export const KERNEL_CONFIG_COMMAND =
  "if [ -r /proc/config.gz ]; then zcat /proc/config.gz; elif [ -r /boot/config-$(uname -r) ]; then cat /boot/config-$(uname -r); else echo 'hangar: no kernel config' >&2; exit 3; fi";

/** Ask the kernel to dump blocked (w) or all (t) task stacks through SysRq. */
export function sysrqTriggerCommand(key: "w" | "t" | "l" | "m"): string {
  return `echo ${key} > /proc/sysrq-trigger`;
}

/** Where test modules are copied in the guest. */
export const GUEST_MODULE_DIR = "/lib/modules/hangar";

/** Write stdin to a file in the guest (its directory created). */
export function writeFileCommand(path: string): string {
  const dir = path.replace(/\/[^/]*$/, "") || "/";
  return `mkdir -p ${shQuote(dir)} && cat > ${shQuote(path)}`;
}
