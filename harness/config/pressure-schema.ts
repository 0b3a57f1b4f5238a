import { z } from "zod";
import { positiveDuration, sizeMiB } from "./fields.ts";

/**
 * Memory pressure around the workload phase. Whatever is asked for here, every attempt records
 * evidence (PSI, vmstat deltas, slab counts, OOM kills); a scenario that asks for pressure and
 * shows none is `infra`, not `clean`.
 */

/** "40%" of guest RAM, or a size. */
const memoryShare = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^(\d{1,2}%|\d+[kKmMgG]?)$/, 'expected a share of RAM such as "40%" or a size such as "512M"'));

export const cgroupSchema = z
  .object({
    /** memory.max of the workload's cgroup: hard limit, reclaim at charge time. */
    memory_max: sizeMiB.optional(),
    /** memory.high: reclaim plus throttling above it. */
    memory_high: sizeMiB.optional(),
    /** memory.swap.max (written only when the kernel accounts swap). */
    swap_max: sizeMiB.optional(),
  })
  .strict()
  .refine((c) => c.memory_max !== undefined || c.memory_high !== undefined, { message: "a cgroup needs memory_max or memory_high" });

export const hogsSchema = z
  .object({
    /** stress-ng --vm workers, outside the workload cgroup (global pressure: kswapd). */
    workers: z.number().int().min(1).max(16).default(1),
    /** --vm-bytes per worker: a share of RAM or a size. */
    bytes: memoryShare.optional(),
    /** Or: size the hogs, when the workload phase starts, to leave this much of MemAvailable free. */
    leave: sizeMiB.optional(),
    /** --vm-keep: keep the mapping instead of unmapping and remapping it. */
    keep: z.boolean().default(true),
  })
  .strict()
  .refine((h) => (h.bytes === undefined) !== (h.leave === undefined), { message: "hogs need exactly one of bytes or leave" });

const loopSchema = z.object({ every: positiveDuration }).strict();

export const pressureSchema = z
  .object({
    cgroup: cgroupSchema.optional(),
    hogs: hogsSchema.optional(),
    /** echo <mode> > /proc/sys/vm/drop_caches every so often (1 page cache, 2 slab, 3 both). */
    drop_caches: loopSchema.extend({ mode: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3) }).strict().optional(),
    /** echo 1 > /proc/sys/vm/compact_memory every so often. */
    compact_memory: loopSchema.optional(),
    vfs_cache_pressure: z.number().int().min(0).max(100000).optional(),
    dirty_bytes: sizeMiB.optional(),
    dirty_background_bytes: sizeMiB.optional(),
    min_free_kbytes: z.number().int().min(0).optional(),
  })
  .strict();

export type Pressure = z.output<typeof pressureSchema>;
