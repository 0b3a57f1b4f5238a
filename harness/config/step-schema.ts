import { z } from "zod";
import { duration, name, positiveDuration, sizeText } from "./fields.ts";

/**
 * Workload steps: a shell script (`run`) or one of the modelled workloads, each run for a
 * `duration` with its own parallelism, on a filesystem layer of the scenario's storage.
 */

const onLayer = { layer: name };
const lasting = { duration: positiveDuration.prefault(60) };

export const fioSchema = z
  .object({
    ...onLayer,
    ...lasting,
    jobs: z.number().int().min(1).max(64).default(4),
    /** File size per job. */
    size: sizeText.default("256M"),
    bs: sizeText.default("4k"),
    rw: z.enum(["randwrite", "write", "randrw", "rw", "randread", "read"]).default("randwrite"),
    direct: z.boolean().default(true),
    /** Preallocation: native/posix leave unwritten extents that IO completion converts. */
    fallocate: z.enum(["native", "posix", "keep", "none"]).default("native"),
    ioengine: z.enum(["libaio", "io_uring", "psync", "sync"]).default("libaio"),
    iodepth: z.number().int().min(1).max(1024).default(16),
    /** fsync after this many writes (0: never). */
    fsync: z.number().int().min(0).default(0),
    /** Start every pass from fresh, unwritten space. */
    unlink_each_loop: z.boolean().default(true),
    /** Further fio options, `name: value` → --name=value. */
    extra: z.record(z.string().regex(/^[a-z_0-9]+$/, "expected a fio option name"), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict();

export const fsmarkSchema = z
  .object({
    ...onLayer,
    ...lasting,
    /** Parallel fs_mark threads, one directory each. */
    threads: z.number().int().min(1).max(64).default(4),
    /** Files per thread per pass. */
    files: z.number().int().min(1).default(10000),
    /** File size in bytes (0: inode churn only). */
    size: z.number().int().min(0).default(0),
    /** Subdirectories per thread. */
    dirs: z.number().int().min(1).default(100),
    /** fs_mark -S: 0 no sync, 1 fsync each file, … */
    sync: z.number().int().min(0).max(6).default(0),
    /** Remove the files after each pass (unlinks feed inode inactivation). */
    remove: z.boolean().default(true),
  })
  .strict();

export const xfsScrubSchema = z
  .object({
    ...onLayer,
    ...lasting,
    /** check: -n (report only); repair: online repair (CONFIG_XFS_ONLINE_REPAIR); preen: optimise only. */
    mode: z.enum(["check", "repair", "preen"]).default("check"),
    /** Pause between passes. */
    pause: duration.prefault(0),
  })
  .strict();

export const writeFloodSchema = z
  .object({
    ...onLayer,
    ...lasting,
    writers: z.number().int().min(1).max(64).default(4),
    /** Bytes per file per pass. */
    size: sizeText.default("64M"),
    bs: sizeText.default("1M"),
    /** zero, compressible (repeated text) or random bytes. */
    data: z.enum(["zero", "compressible", "random"]).default("zero"),
    fsync: z.boolean().default(true),
    /** Files each writer cycles through (rewrites, appends and unlinks keep the allocator busy). */
    files: z.number().int().min(1).max(1000).default(4),
  })
  .strict();

export const enospcFillSchema = z
  .object({
    ...onLayer,
    ...lasting,
    writers: z.number().int().min(1).max(64).default(2),
    bs: sizeText.default("1M"),
    fsync: z.boolean().default(true),
    /** After ENOSPC, delete this share of the fill files and fill again, until the duration ends. */
    free_percent: z.number().int().min(1).max(100).default(50),
  })
  .strict();

export const stressNgSchema = z
  .object({
    ...onLayer,
    ...lasting,
    /** Stressor name → worker count, e.g. {hdd: 2, fallocate: 1, rename: 1}. */
    stressors: z.record(z.string().regex(/^[a-z0-9-]+$/, "expected a stress-ng stressor name such as hdd"), z.number().int().min(0).max(64)),
    /** Further stress-ng arguments, as words. */
    args: z.array(z.string()).default([]),
  })
  .strict();

/** The modelled workload kinds, by their YAML key. */
export const WORKLOAD_KINDS = {
  fio: fioSchema,
  fsmark: fsmarkSchema,
  xfs_scrub: xfsScrubSchema,
  write_flood: writeFloodSchema,
  enospc_fill: enospcFillSchema,
  stress_ng: stressNgSchema,
} as const;
export type WorkloadKind = keyof typeof WORKLOAD_KINDS;
const KIND_KEYS = ["run", ...Object.keys(WORKLOAD_KINDS)] as const;

export const phaseSchema = z.enum(["setup", "workload", "cooldown"]);

export const stepSchema = z
  .object({
    name,
    phase: phaseSchema.default("workload"),
    /** Shell script run in the guest as root with `sh -eu`. */
    run: z.string().min(1).max(1024 * 1024, "expected a script of at most 1 MiB").optional(),
    fio: fioSchema.optional(),
    fsmark: fsmarkSchema.optional(),
    xfs_scrub: xfsScrubSchema.optional(),
    write_flood: writeFloodSchema.optional(),
    enospc_fill: enospcFillSchema.optional(),
    stress_ng: stressNgSchema.optional(),
    /**
     * For a `run` script: how long it should run, handed to it as $HANGAR_DURATION_S (whole
     * seconds, at least 1) and scaled by the time factor like a workload's duration.
     */
    duration: positiveDuration.optional(),
    /** Deadline of the step; default: 5 min, the run script's duration plus half of it plus a minute, or the workload's. */
    timeout: positiveDuration.optional(),
    /** A non-zero exit is recorded but does not make the attempt `infra`. */
    mayFail: z.boolean().default(false),
    /** Start the step and go on with the next; the phase waits for it at its end. */
    background: z.boolean().default(false),
    /** Run inside the pressure cgroup (default: workload steps do when pressure.cgroup is set). */
    cgroup: z.boolean().optional(),
  })
  .strict()
  .refine((s) => KIND_KEYS.filter((k) => (s as Record<string, unknown>)[k] !== undefined).length === 1, {
    message: `a step needs exactly one of: ${KIND_KEYS.join(", ")}`,
  })
  .refine((s) => s.duration === undefined || s.run !== undefined, {
    message: "duration belongs to a `run` step (a workload gives its duration inside its own block)",
    path: ["duration"],
  });

export type Step = z.output<typeof stepSchema>;
export type FioWorkload = z.output<typeof fioSchema>;
export type FsmarkWorkload = z.output<typeof fsmarkSchema>;
export type XfsScrubWorkload = z.output<typeof xfsScrubSchema>;
export type WriteFloodWorkload = z.output<typeof writeFloodSchema>;
export type EnospcFillWorkload = z.output<typeof enospcFillSchema>;
export type StressNgWorkload = z.output<typeof stressNgSchema>;

/** The workload of a step, with its kind (undefined for a plain `run` script). */
export function workloadOf(step: Step): { kind: WorkloadKind; spec: z.output<(typeof WORKLOAD_KINDS)[WorkloadKind]> } | undefined {
  for (const kind of Object.keys(WORKLOAD_KINDS) as WorkloadKind[]) {
    const spec = step[kind];
    if (spec !== undefined) return { kind, spec };
  }
  return undefined;
}

/** A step's deadline: its own, or derived from its workload's or its run script's duration. */
export function stepTimeoutMs(step: Step): number {
  if (step.timeout !== undefined) return step.timeout;
  const duration = workloadOf(step)?.spec.duration ?? step.duration;
  return duration !== undefined ? Math.round(duration * 1.5) + 60_000 : 300_000;
}
