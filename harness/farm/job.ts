/**
 * What goes over the wire: one BullMQ job per attempt, and its result. Both sides validate
 * with these schemas; a worker acts on nothing outside them (no host command, no path).
 */
import { z } from "zod";

/** The queue every farm job goes through (its Redis keys: bull:hangar-attempts:*). */
export const QUEUE = "hangar-attempts";
/** Bumped when the job or result format changes: a worker refuses a format it does not know. */
export const FARM_FORMAT = 1;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 in hex");
const token = (max: number) => z.string().regex(new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${max - 1}}$`), "expected letters, digits, '.', '_' or '-'");

/** A kernel as the coordinator published it: the image's own, or an artifact by id and content hash. */
export const kernelRefSchema = z.discriminatedUnion("source", [
  z.object({ source: z.literal("image") }).strict(),
  z
    .object({
      source: z.enum(["path", "build"]),
      id: token(64),
      /** sha256 of the artifact's manifest (which lists every file's sha256). */
      sha256: hex64,
      version: z.string().max(200).optional(),
    })
    .strict(),
]);
export type KernelRef = z.infer<typeof kernelRefSchema>;

export const jobDataSchema = z
  .object({
    format: z.literal(FARM_FORMAT),
    runId: token(128),
    scenario: z.object({ name: token(64), file: z.string().max(4096), input: z.unknown(), sha256: hex64 }).strict(),
    attempt: z.number().int().min(1).max(1000),
    /** The time factor the scenario's durations were scaled by (already applied to `input`). */
    timeFactor: z.number().positive().max(100).optional(),
    kernel: kernelRefSchema,
    /** The guest image id (recipe hash) the coordinator uses: the worker must build the same. */
    imageId: token(128),
    accel: z.enum(["auto", "kvm", "tcg"]).default("auto"),
    /** Tries before an infra verdict is final. */
    tries: z.number().int().min(1).max(20),
    /** Each log comes back at most this big (head and tail kept). */
    logCapBytes: z.number().int().min(4096).max(256 * 1024 * 1024),
  })
  .strict();
export type JobData = z.infer<typeof jobDataSchema>;

/** A file name in an attempt folder: no folders, no dot files. */
const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "expected a plain file name");

export const packedFileSchema = z
  .object({
    name: fileName,
    /** gzip, base64. */
    gz: z.string(),
    /** Size of the file on the worker, and how many bytes of it were cut out of the middle. */
    bytes: z.number().int().min(0),
    cutBytes: z.number().int().min(0),
  })
  .strict();
export type PackedFile = z.infer<typeof packedFileSchema>;

const VERDICTS = ["reproduced", "clean", "unexpected", "infra", "skipped"] as const;

export const jobResultSchema = z
  .object({
    format: z.literal(FARM_FORMAT),
    /** The worker that ran the attempt (name: host:pid). */
    worker: z.string().max(256),
    /** The AttemptResult without `dir` (the coordinator sets its own). */
    result: z
      .object({
        scenario: z.string(),
        attempt: z.number().int(),
        verdict: z.enum(VERDICTS),
        reason: z.string().optional(),
        reports: z.array(z.object({ kind: z.string(), title: z.string(), signature: z.string(), count: z.number() }).passthrough()),
        phases: z.array(z.object({ phase: z.string(), status: z.string() }).passthrough()),
        storage: z.array(z.unknown()),
        steps: z.array(z.unknown()),
        startedAt: z.string(),
        durationMs: z.number(),
      })
      .passthrough(),
    files: z.array(packedFileSchema).max(64),
    /** Reasons of the earlier tries that ended `infra` on some worker. */
    earlier: z.array(z.string().max(4000)).max(20),
  })
  .strict();
export type JobResult = z.infer<typeof jobResultSchema>;

/** The reasons of a job's earlier tries that ended `infra` (a Redis list, expiring with the artifacts). */
export const triesKey = (id: string) => `hangar:farm:tries:${id}`;

/** Deterministic job id: the same run, scenario and attempt is the same job (a resubmission adds nothing). */
export function jobId(runId: string, scenario: string, attempt: number): string {
  return `${runId}/${scenario}/${attempt}`;
}
