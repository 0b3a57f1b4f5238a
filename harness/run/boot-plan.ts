import type { KernelArtifact } from "../kernel/index.ts";
import type { EventSink } from "../common/index.ts";
import type { Scenario, Step } from "../config/index.ts";
import type { Accel, MachineSpec } from "../vm/index.ts";
import { baseKernelArgs } from "../vm/index.ts";

/** Everything needed to boot a guest for any scenario of a run. */
export interface BootPlan {
  accel: Accel;
  qemuVersion: string;
  kernel: KernelArtifact;
  /** hostKey: the guest's pinned SSH host public key ("<type> <base64>"). */
  image: { id: string; rootfs: string; sshKey: string; hostKey?: string; bootArgs: string[] };
}

/** The full kernel command line of a guest: hangar's base, the image's, the scenario's. */
export function kernelCommandLine(plan: BootPlan, scenarioArgs: readonly string[]): string {
  const args = [...baseKernelArgs({ rootDevice: "/dev/vda" }), ...plan.image.bootArgs, ...scenarioArgs];
  // Later duplicates win in the kernel, but keep the line tidy: drop exact repeats.
  return [...new Set(args)].join(" ");
}

/** The guest a scenario asks for, booted as the plan says. */
export function guestSpecFor(
  sc: Pick<Scenario, "guest">,
  plan: BootPlan,
  o: { name: string; workDir: string; sink: EventSink },
): MachineSpec {
  return {
    name: o.name,
    workDir: o.workDir,
    accel: plan.accel,
    memoryMiB: sc.guest.memory,
    cpus: sc.guest.cpus,
    kernel: plan.kernel.kernel,
    ...(plan.kernel.initrd ? { initrd: plan.kernel.initrd } : {}),
    rootfs: plan.image.rootfs,
    append: kernelCommandLine(plan, sc.guest.cmdline),
    scratch: sc.guest.disks.map((d) => ({ name: d.name, sizeMiB: d.size })),
    sshKey: plan.image.sshKey,
    ...(plan.image.hostKey ? { hostKey: plan.image.hostKey } : {}),
    sink: o.sink,
  };
}

/** A step environment variable for a named thing: HANGAR_<KIND>_<NAME>, the name upper-cased with other characters as `_`. */
export function envName(kind: string, name: string): string {
  return `HANGAR_${kind}_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** Environment every step sees: scenario, attempt, and HANGAR_DISK_<NAME>=/dev/vdX per scratch disk. */
export function stepEnvironment(sc: Pick<Scenario, "name">, attempt: number, devices: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { HANGAR_SCENARIO: sc.name, HANGAR_ATTEMPT: String(attempt) };
  for (const [disk, dev] of Object.entries(devices)) env[envName("DISK", disk)] = dev;
  return env;
}

/** What a `run` step's duration adds to its environment: HANGAR_DURATION_S (nothing without one). */
export function runDurationEnv(step: Pick<Step, "duration">): Record<string, string> {
  return step.duration === undefined ? {} : { HANGAR_DURATION_S: String(Math.max(1, Math.round(step.duration / 1000))) };
}
