/**
 * A boot that fails says nothing about the scenario, and under TCG a sound kernel's boot does now
 * and then: QEMU's multi-threaded TCG can run a stale int3 left by the kernel's live patching of a
 * static key (an int3 Oops in `sched_clock_cpu` at 1.5 s, as "sched_clock: Marking stable" patches
 * it; 1 of 60 boots in a row of a built 6.12 on these hosts, and one CI run lost a test to it).
 * So a machine that did not come up is booted afresh, as syzkaller recreates an instance that
 * failed to boot; a kernel that cannot boot fails every time, and is reported so.
 */
import { mkdir, readdir, rename } from "node:fs/promises";
import { join } from "node:path";

/** Boots tried again after the first one failed. */
export const BOOT_RETRIES = 1;

/** Move what a failed boot wrote in `dir` (not the boots set aside before it) into `dir/boot-failure-N`; returns that directory. */
export async function setAsideFailedBoot(dir: string, n: number): Promise<string> {
  const to = join(dir, `boot-failure-${n}`);
  const names = (await readdir(dir)).filter((x) => !x.startsWith("boot-failure-"));
  await mkdir(to);
  for (const x of names) await rename(join(dir, x), join(to, x));
  return to;
}
