/**
 * Checks of a scenario against the host it is about to run on: guest memory and scratch disks
 * that the host cannot give, step deadlines (derived from workload durations) beyond what a
 * timer can wait. Run when a file is loaded, so a bad file fails before any guest starts.
 */
import { totalmem } from "node:os";
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { resultsDir } from "../common/paths.ts";
import { MAX_TIMER_MS } from "./fields.ts";
import type { ReferenceProblem } from "./references.ts";
import type { scenarioSchema } from "./scenario-schema.ts";
import { stepTimeoutMs, workloadOf } from "./step-schema.ts";
import type { z } from "zod";

type Parsed = z.output<typeof scenarioSchema>;

export interface HostLimits {
  /** RAM of the host. */
  memoryMiB: number;
  /** Size of the filesystem that holds the results (and so the guests' sparse scratch disks). */
  diskMiB?: number;
  diskPath?: string;
}

const mib = (n: number) => (n >= 1024 ? `${(n / 1024).toFixed(1)} GiB` : `${n} MiB`);

export function checkHostLimits(s: Parsed, host: HostLimits): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  if (s.guest.memory > host.memoryMiB) {
    problems.push({ path: ["guest", "memory"], message: `${mib(s.guest.memory)} is more than this host's RAM (${mib(host.memoryMiB)})` });
  }
  if (host.diskMiB !== undefined) {
    const total = s.guest.disks.reduce((n, d) => n + d.size, 0);
    s.guest.disks.forEach((d, i) => {
      if (d.size > host.diskMiB!) {
        problems.push({ path: ["guest", "disks", i, "size"], message: `${mib(d.size)} is more than the whole filesystem of ${host.diskPath ?? "the results"} (${mib(host.diskMiB!)})` });
      }
    });
    if (total > host.diskMiB && !s.guest.disks.some((d) => d.size > host.diskMiB!)) {
      problems.push({ path: ["guest", "disks"], message: `the disks add up to ${mib(total)}, more than the whole filesystem of ${host.diskPath ?? "the results"} (${mib(host.diskMiB)})` });
    }
  }
  s.steps.forEach((st, i) => {
    if (st.timeout !== undefined) return;
    const t = stepTimeoutMs(st);
    const w = workloadOf(st);
    if (t > MAX_TIMER_MS) {
      problems.push({ path: w ? ["steps", i, w.kind, "duration"] : ["steps", i, "duration"], message: `too long: the step's deadline (duration × 1.5 + 1 min) would exceed the longest wait a timer can keep (24.8 days)` });
    }
  });
  return problems;
}

/** This host's limits: its RAM, and the size of the filesystem under the results folder. */
export async function hostLimits(): Promise<HostLimits> {
  const out: HostLimits = { memoryMiB: Math.floor(totalmem() / 1024 / 1024) };
  // The results folder may not exist yet: its nearest existing ancestor.
  for (let p = resultsDir(); ; p = dirname(p)) {
    const st = await statfs(p).catch(() => undefined);
    if (st) {
      out.diskMiB = Math.floor((st.blocks * st.bsize) / 1024 / 1024);
      out.diskPath = p;
      break;
    }
    if (dirname(p) === p) break;
  }
  return out;
}
