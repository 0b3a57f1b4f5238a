import { z } from "zod";
import { duration, name, sizeMiB } from "./fields.ts";

/**
 * Storage stacks in YAML: an ordered list of layers, each built `on` a scratch disk or an
 * earlier layer, and torn down in reverse. Each layer gives the next one a block device, a
 * mounted filesystem or a file.
 */

const base = {
  name,
  /** A scratch disk (guest.disks[].name) or an earlier layer. */
  on: name,
};

/** Mount point of a filesystem layer; default /mnt/hangar/<name>. */
const mountPoint = z.string().max(255, "expected a path of at most 255 characters").regex(/^\/[A-Za-z0-9._/-]*$/, "expected an absolute path such as /mnt/upper").optional();
const mkfsArgs = z.array(z.string()).default([]);
const mountOptions = z.string().regex(/^[A-Za-z0-9=,._:/-]*$/, "expected mount options such as noatime,logbsize=256k").default("");

export const xfsLayerSchema = z
  .object({ ...base, type: z.literal("xfs"), mkfs: mkfsArgs, options: mountOptions, at: mountPoint })
  .strict();

export const btrfsLayerSchema = z
  .object({ ...base, type: z.literal("btrfs"), mkfs: mkfsArgs, options: mountOptions, at: mountPoint })
  .strict();

export const fileLayerSchema = z
  .object({
    ...base,
    type: z.literal("file"),
    size: sizeMiB,
    /** Sparse (truncate) or allocated up front (fallocate). */
    sparse: z.boolean().default(true),
    /** chattr +C before sizing it (Btrfs: no copy-on-write, no compression). */
    nocow: z.boolean().default(false),
  })
  .strict();

export const loopLayerSchema = z
  .object({
    ...base,
    type: z.literal("loop"),
    /** --direct-io=on: bypass the lower filesystem's page cache. */
    direct_io: z.boolean().default(false),
  })
  .strict();

export const dmThinLayerSchema = z
  .object({
    ...base,
    type: z.literal("dm-thin"),
    /** Pool data size (a file on the lower filesystem behind a loop device). */
    data_size: sizeMiB,
    metadata_size: sizeMiB.default(64),
    /** Virtual size of the thin volume; larger than data_size over-provisions the pool. */
    virtual_size: sizeMiB,
    /** Pool block size in KiB (64 KiB … 1 GiB, multiple of 64). */
    block_kib: z.number().int().min(64).max(1048576).refine((n) => n % 64 === 0, "expected a multiple of 64").default(64),
    /** dm_thin_pool.no_space_timeout: how long a full pool queues IO before erroring (0 = forever). */
    no_space_timeout: duration.optional(),
    /** Error IO at once when the pool is full instead of queueing it. */
    error_if_no_space: z.boolean().default(false),
  })
  .strict();

export const nfsLocalioLayerSchema = z
  .object({
    ...base,
    type: z.literal("nfs-localio"),
    vers: z.enum(["3", "4.1", "4.2"]).default("4.2"),
    options: mountOptions,
    at: mountPoint,
  })
  .strict();

export const fillLayerSchema = z
  .object({
    ...base,
    type: z.literal("fill"),
    /** Fill the filesystem until this share of its size is used. */
    percent: z.number().min(1).max(100),
  })
  .strict();

export const layerSchema = z.discriminatedUnion("type", [
  xfsLayerSchema,
  btrfsLayerSchema,
  fileLayerSchema,
  loopLayerSchema,
  dmThinLayerSchema,
  nfsLocalioLayerSchema,
  fillLayerSchema,
]);

export type Layer = z.output<typeof layerSchema>;
export type LayerType = Layer["type"];

/** What each layer type needs below it and gives above it. */
export const LAYER_IO: Record<LayerType, { needs: "block" | "fs" | "file"; gives: "block" | "fs" | "file" | "none" }> = {
  xfs: { needs: "block", gives: "fs" },
  btrfs: { needs: "block", gives: "fs" },
  file: { needs: "fs", gives: "file" },
  loop: { needs: "file", gives: "block" },
  "dm-thin": { needs: "fs", gives: "block" },
  "nfs-localio": { needs: "fs", gives: "fs" },
  fill: { needs: "fs", gives: "none" },
};

export const LAYER_TYPES = Object.keys(LAYER_IO) as LayerType[];
