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
import type { EventSink } from "../common/index.ts";

/** Boots tried again after the first one failed. */
export const BOOT_RETRIES = 1;

export interface BootFailure {
  reason: string;
  /** where the failed boot's files went */
  dir: string;
}

/**
 * `once()` again while `failedBoot` names why its machine did not come up, at most BOOT_RETRIES
 * times and never once `signal` aborted (Ctrl-C kills QEMU under the boot); each failed boot's
 * files are set aside first and a warning names them. Returns the last result and the failures.
 */
export async function withFreshBoots<T>(
  o: { dir: string; sink: EventSink; name: string; signal?: AbortSignal | undefined },
  once: () => Promise<T>,
  failedBoot: (r: T) => string | undefined,
): Promise<{ result: T; failures: BootFailure[] }> {
  const failures: BootFailure[] = [];
  for (;;) {
    const result = await once();
    const why = failedBoot(result);
    if (why === undefined || o.signal?.aborted || failures.length >= BOOT_RETRIES) return { result, failures };
    const dir = await setAsideFailedBoot(o.dir, failures.length + 1);
    failures.push({ reason: why, dir });
    o.sink.emit({ type: "log", level: "warn", message: `${o.name}: the machine did not come up (${why}); booting it afresh (the failed boot's files: ${dir})` });
  }
}

/** Move what a failed boot wrote in `dir` (not the boots set aside before it) into `dir/boot-failure-N`; returns that directory. */
async function setAsideFailedBoot(dir: string, n: number): Promise<string> {
  const to = join(dir, `boot-failure-${n}`);
  const names = (await readdir(dir)).filter((x) => !x.startsWith("boot-failure-"));
  await mkdir(to);
  for (const x of names) await rename(join(dir, x), join(to, x));
  return to;
}
