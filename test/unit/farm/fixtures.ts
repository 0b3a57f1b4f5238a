/**
 * Shared pieces of the farm tests: scenarios the fake machine can play, the fake boot plan
 * (no image build), and a worker in its own process (so it can be SIGKILLed for real).
 */
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { repoRoot } from "../../../harness/common/index.ts";
import { scenarioSchema, type Scenario } from "../../../harness/config/index.ts";
import type { BootPlan } from "../../../harness/run/index.ts";

/** The plan every fake worker and the coordinator agree on. */
export function fakePlan(kernel: BootPlan["kernel"] = { source: "image", kernel: "/fake/bzImage", version: "6.12.0-fake" }): BootPlan {
  return { accel: "tcg", qemuVersion: "fake", kernel, image: { id: "fake-image", rootfs: "/fake/rootfs.img", sshKey: "/fake/key", bootArgs: [] } };
}

/**
 * A scenario for the fake machine: its workload step runs `echo fake:<work>`, which the worker's
 * script answers (see worker-process.ts): `fake:repro` prints a real hung-task report,
 * `fake:slow` does too after 3 s (`fake:long` after 10 s), `fake:clean` prints nothing, `fake:broken` exits 2 at setup.
 */
export function fakeScenario(name: string, work: "repro" | "slow" | "long" | "clean" | "broken", over: Record<string, unknown> = {}): Scenario {
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
