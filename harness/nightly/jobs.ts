/**
 * `-j auto`: how many guests to run at once, from the host's available memory and cores.
 * A guest costs its memory plus QEMU's own (TCG's translation cache, device models, buffers); a
 * reserve is left for the host (the harness, a kernel build alongside). Cores: each guest's vCPUs
 * are host threads under TCG, so more guests than cores / vCPUs only makes every guest slower
 * (and slow guests trip hung-task detectors for the wrong reason).
 */
import { readFile } from "node:fs/promises";
import { availableParallelism, freemem } from "node:os";
import { InvalidArgumentError } from "commander";

export const QEMU_OVERHEAD_MIB = 512;
export const HOST_RESERVE_MIB = 1024;

export interface AutoJobsInput {
  availableMiB: number;
  cores: number;
  /** The largest guest of the night. */
  guestMiB: number;
  guestCpus: number;
  overheadMiB?: number;
  reserveMiB?: number;
}

export function autoJobs(i: AutoJobsInput): { jobs: number; why: string } {
  const per = i.guestMiB + (i.overheadMiB ?? QEMU_OVERHEAD_MIB);
  const byMemory = Math.floor(Math.max(0, i.availableMiB - (i.reserveMiB ?? HOST_RESERVE_MIB)) / per);
  const byCores = Math.floor(i.cores / Math.max(1, i.guestCpus));
  const jobs = Math.max(1, Math.min(byMemory, byCores));
  return { jobs, why: `${jobs} guest(s) at once: memory allows ${byMemory} (${i.availableMiB} MiB available, ${per} MiB per guest), cores allow ${byCores} (${i.cores} cores, ${i.guestCpus} vCPUs per guest)` };
}

/** MemAvailable from /proc/meminfo (what can be used without swapping), else os.freemem(). */
export async function availableMemoryMiB(): Promise<number> {
  const text = await readFile("/proc/meminfo", "utf8").catch(() => "");
  const m = text.match(/^MemAvailable:\s+(\d+)\s+kB/m);
  return Math.floor(m ? Number(m[1]) / 1024 : freemem() / 1048576);
}

export async function hostJobs(guests: readonly { memory: number; cpus: number }[]): Promise<{ jobs: number; why: string }> {
  return autoJobs({
    availableMiB: await availableMemoryMiB(),
    cores: availableParallelism(),
    guestMiB: Math.max(0, ...guests.map((g) => g.memory)),
    guestCpus: Math.max(1, ...guests.map((g) => g.cpus)),
  });
}

/** `-j`: a positive whole number or `auto`. */
export function parseJobs(v: string): number | "auto" {
  if (v === "auto") return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive whole number or "auto", got "${v}"`);
  return n;
}
