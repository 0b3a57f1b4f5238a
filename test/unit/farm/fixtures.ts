/**
 * Shared pieces of the farm tests: scenarios the fake machine can play, the fake boot plan
 * (no image build), and a worker in its own process (so it can be SIGKILLed for real).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { repoRoot } from "../../../harness/common/index.ts";
import { scenarioSchema, type Scenario } from "../../../harness/config/index.ts";
import type { BootPlan } from "../../../harness/run/index.ts";
import type { MachineFactory, MachineSpec } from "../../../harness/vm/index.ts";
import { fakeFactory, type ExecRule } from "../../fake/machine.ts";
import { HUNG_TASK } from "../../fake/reports.ts";

/** The plan every fake worker and the coordinator agree on. */
export function fakePlan(kernel: BootPlan["kernel"] = { source: "image", kernel: "/fake/bzImage", version: "6.12.0-fake" }): BootPlan {
  return { accel: "tcg", qemuVersion: "fake", kernel, image: { id: "fake-image", rootfs: "/fake/rootfs.img", sshKey: "/fake/key", bootArgs: [] } };
}

/** A plan whose kernel is the bzImage at `path` (as `--kernel FILE`). */
export function pathPlan(path: string, id?: string): BootPlan {
  return fakePlan({ source: "path", kernel: path, version: "6.12.0-fake", ...(id ? { id } : {}) });
}

/** What a fake bzImage carries when its kernel "has the bug": `fake:work` then prints a hung task. */
export const BAD_KERNEL_MARKER = "hangar-fake-bad-kernel";

/** The fixed answers of the fake guests (see fakeScenario). */
export const FARM_RULES: ExecRule[] = [
  { match: /fake:repro/, print: HUNG_TASK },
  { match: /fake:slow/, delayMs: 3_000, print: HUNG_TASK },
  { match: /fake:long/, delayMs: 10_000, print: HUNG_TASK },
  { match: /fake:broken/, code: 2, stderr: "mkfs: no space" },
];

/** Does the kernel file booted carry the bug marker? (A kernel that is not a file, like the image's own here, does not.) */
export function isBadKernel(path: string): boolean {
  try {
    return readFileSync(path, "utf8").includes(BAD_KERNEL_MARKER);
  } catch {
    return false;
  }
}

/**
 * The fake guests of the farm tests, the same on a worker and in a local run: the fixed rules,
 * and `fake:work`, which prints a real hung-task report only on a kernel that carries the marker
 * (the kernel a worker boots is the artifact it fetched from Redis and verified).
 */
export function farmMachineFactory(onBoot?: (spec: MachineSpec) => void): MachineFactory {
  return (spec) => {
    onBoot?.(spec);
    return fakeFactory({ rules: [{ match: /fake:work/, print: isBadKernel(spec.kernel) ? HUNG_TASK : [] }, ...FARM_RULES] }).factory(spec);
  };
}

/**
 * A scenario for the fake machine: its workload step runs `echo fake:<work>`, which the worker's
 * script answers (FARM_RULES): `fake:repro` prints a real hung-task report,
 * `fake:slow` does too after 3 s (`fake:long` after 10 s), `fake:clean` prints nothing, `fake:broken` exits 2 at setup,
 * `fake:work` prints the hung task on a bad kernel only (farmMachineFactory).
 */
export function fakeScenario(name: string, work: "repro" | "slow" | "long" | "clean" | "broken" | "work", over: Record<string, unknown> = {}): Scenario {
  return {
    ...scenarioSchema.parse({
      name,
      steps: [
        { name: "prepare", phase: "setup", run: work === "broken" ? "echo fake:broken" : "echo fake:setup" },
        { name: "work", run: `echo fake:${work}`, timeout: "2m" },
      ],
      cooldown: "100ms",
      deadline: "60s",
      expect:
        work === "clean"
          ? { outcome: "clean", signatures: [] }
          : { outcome: "reproduced", signatures: [{ name: "frozen-writer", kind: "hung-task", frames: ["percpu_rwsem_wait"] }] },
      ...over,
    }),
    file: `/farm-tests/${name}.yaml`,
  };
}

export interface WorkerProcess {
  proc: ResultPromise;
  name: string;
  output: () => string;
}

/**
 * test/unit/farm/worker-process.ts in node itself (not through the tsx wrapper, whose child
 * would outlive a SIGKILL): a real worker process with the fake machine.
 */
export function spawnWorker(o: { url: string; name: string; cache: string; slots?: number; lockMs?: number }): WorkerProcess {
  let out = "";
  const proc = execa(process.execPath, ["--import", "tsx", join(repoRoot, "test/unit/farm/worker-process.ts")], {
    env: {
      FARM_REDIS: o.url,
      FARM_NAME: o.name,
      FARM_SLOTS: String(o.slots ?? 1),
      FARM_LOCK_MS: String(o.lockMs ?? 2_000),
      HANGAR_CACHE: o.cache,
      HANGAR_TIME_SCALE: "0.1",
    },
    reject: false,
    all: true,
    cleanup: true,
    forceKillAfterDelay: 5_000,
  });
  proc.all?.on("data", (d: Buffer) => (out += d.toString()));
  return { proc, name: o.name, output: () => out };
}
