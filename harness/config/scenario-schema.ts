import { z } from "zod";
import { expectationsSchema } from "../match/index.ts";
import { diskName, moduleName, name, positiveDuration, sizeMiB } from "./fields.ts";
import { knownBadListSchema } from "./known-bad-schema.ts";
import { pressureSchema } from "./pressure-schema.ts";
import { stepSchema } from "./step-schema.ts";
import { layerSchema } from "./storage-schema.ts";
import { MAX_TIME_FACTOR } from "./time-factor.ts";

export const diskSchema = z
  .object({
    name: diskName,
    size: sizeMiB,
  })
  .strict();

export const guestSchema = z
  .object({
    memory: sizeMiB.default(2048),
    cpus: z.number().int().min(1).max(64).default(2),
    disks: z.array(diskSchema).max(8).default([]),
    /** Extra kernel command-line arguments. */
    cmdline: z.array(z.string().max(4096)).max(256).default([]),
  })
  .strict();

export const detectorSchema = z
  .object({
    hung_task_timeout_secs: z.number().int().min(1).default(30),
    hung_task_warnings: z.number().int().min(-1).default(-1),
    hung_task_panic: z.boolean().default(false),
    /** kernel.watchdog_thresh (soft lockup after twice this); default under TCG: 55. */
    softlockup_thresh: z.number().int().min(1).optional(),
    /** RCU CPU stall timeout in seconds; default under TCG: 100. */
    rcu_stall_timeout_secs: z.number().int().min(3).max(300).optional(),
    /** workqueue.watchdog_thresh in seconds (CONFIG_WQ_WATCHDOG); recorded as unavailable when the kernel lacks it. */
    wq_watchdog_thresh: z.number().int().min(1).optional(),
    /** Any further sysctl, applied with `sysctl -w key=value` before the setup phase. */
    sysctl: z.record(z.string().regex(/^[a-z0-9_.\/-]+$/, "expected a sysctl name such as vm.dirty_ratio"), z.union([z.string(), z.number()])).default({}),
  })
  .strict();

export const kernelReqSchema = z
  .object({
    /** CONFIG_* options the kernel must have (=y or =m). */
    requires: z.array(z.string().regex(/^CONFIG_[A-Z0-9_]+$/, "expected a kernel option such as CONFIG_PROVE_LOCKING")).default([]),
    /** Config fragments (vm-images/kconfig/<name>.config) a kernel built for this scenario needs. */
    fragments: z.array(name).default([]),
    /**
     * Out-of-tree test modules (vm-images/modules/<name>) built with the kernel by `hangar kernel
     * build`; copied into the guest, steps find each at $HANGAR_MODULE_<NAME>. A kernel without
     * them makes the attempt `skipped`.
     */
    modules: z.array(moduleName).default([]),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name,
    description: z.string().default(""),
    /** The report in shared/reports this scenario models, if any. */
    report: z.string().optional(),
    guest: guestSchema.default(guestSchema.parse({})),
    kernel: kernelReqSchema.default({ requires: [], fragments: [], modules: [] }),
    detectors: detectorSchema.default(detectorSchema.parse({})),
    /** Storage stack built before the setup steps, torn down in reverse after the cooldown. */
    storage: z.array(layerSchema).max(32).default([]),
    /** Memory pressure applied during the workload phase. */
    pressure: pressureSchema.optional(),
    steps: z.array(stepSchema).min(1),
    /** Time the guest idles after the last step so detectors can fire. */
    cooldown: positiveDuration.prefault(5),
    /** Wall-clock deadline for one attempt, boot to teardown. */
    deadline: positiveDuration.prefault(600),
    attempts: z.number().int().min(1).max(1000).default(1),
    /** What a passing run of this scenario looks like. */
    expect: expectationsSchema.extend({ outcome: z.enum(["reproduced", "clean"]) }),
    /** Kernels that have the bug again, for `hangar prove` (known-bad-schema.ts). */
    knownBad: knownBadListSchema.optional(),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema> & { file: string };
export type Disk = z.output<typeof diskSchema>;
export type Detectors = z.output<typeof detectorSchema>;

export const suiteSchema = z
  .object({
    name,
    description: z.string().default(""),
    /** Scenario files, relative to the suite file. */
    scenarios: z.array(z.string().min(1)).min(1),
    /** Attempts override for every scenario of the suite. */
    attempts: z.number().int().min(1).optional(),
    /** Multiplies every workload duration of the suite's scenarios (0.1: a quick pass). */
    time_factor: z.number().positive().max(MAX_TIME_FACTOR).optional(),
  })
  .strict();

export type Suite = z.output<typeof suiteSchema> & { file: string };
