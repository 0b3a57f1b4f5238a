import { z } from "zod";
import { expectationsSchema } from "../match/index.ts";
import { parseDuration, parseSizeMiB } from "./units.ts";

/** A field in human units: a string or a number, parsed by `parse`, or an error saying what was expected. */
function unitField(parse: (v: string | number) => number | undefined, expected: string) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = parse(v);
    if (n === undefined) {
      ctx.addIssue({ code: "custom", message: `expected ${expected}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });
}

/** A duration field: "30s", "5m", "1h", or a number of seconds. Parsed to milliseconds. */
export const duration = unitField(parseDuration, 'a duration such as "30s", "5m" or a number of seconds');

/** A size field: "2G", "512M", or a number of MiB. Parsed to MiB. */
export const sizeMiB = unitField(parseSizeMiB, 'a size such as "2G", "512M" or a number of MiB');

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "expected lower-case letters, digits, '.', '_' or '-'");

export const diskSchema = z
  .object({
    name,
    size: sizeMiB,
  })
  .strict();

export const guestSchema = z
  .object({
    memory: sizeMiB.default(2048),
    cpus: z.number().int().min(1).max(64).default(2),
    disks: z.array(diskSchema).max(8).default([]),
    /** Extra kernel command-line arguments. */
    cmdline: z.array(z.string()).default([]),
  })
  .strict();

export const detectorSchema = z
  .object({
    hung_task_timeout_secs: z.number().int().min(1).default(30),
    hung_task_warnings: z.number().int().min(-1).default(-1),
    hung_task_panic: z.boolean().default(false),
    softlockup_thresh: z.number().int().min(1).optional(),
    /** Any further sysctl, applied with `sysctl -w key=value` before the setup phase. */
    sysctl: z.record(z.string().regex(/^[a-z0-9_.\/-]+$/, "expected a sysctl name such as vm.dirty_ratio"), z.union([z.string(), z.number()])).default({}),
  })
  .strict();

export const phaseSchema = z.enum(["setup", "workload", "cooldown"]);

export const stepSchema = z
  .object({
    name,
    phase: phaseSchema.default("workload"),
    /** Shell script run in the guest as root with `sh -eu`. */
    run: z.string().min(1),
    timeout: duration.default(300),
    /** A non-zero exit is recorded but does not make the attempt `infra`. */
    mayFail: z.boolean().default(false),
  })
  .strict();

export const kernelReqSchema = z
  .object({
    /** CONFIG_* options the kernel must have (=y or =m). */
    requires: z.array(z.string().regex(/^CONFIG_[A-Z0-9_]+$/, "expected a kernel option such as CONFIG_PROVE_LOCKING")).default([]),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name,
    description: z.string().default(""),
    /** The report in shared/reports this scenario models, if any. */
    report: z.string().optional(),
    guest: guestSchema.default(guestSchema.parse({})),
    kernel: kernelReqSchema.default({ requires: [] }),
    detectors: detectorSchema.default(detectorSchema.parse({})),
    steps: z.array(stepSchema).min(1),
    /** Time the guest idles after the last step so detectors can fire. */
    cooldown: duration.default(5),
    /** Wall-clock deadline for one attempt, boot to teardown. */
    deadline: duration.default(600),
    attempts: z.number().int().min(1).max(1000).default(1),
    /** What a passing run of this scenario looks like. */
    expect: expectationsSchema.extend({ outcome: z.enum(["reproduced", "clean"]) }),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema> & { file: string };
export type Step = z.output<typeof stepSchema>;
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
  })
  .strict();

export type Suite = z.output<typeof suiteSchema> & { file: string };
