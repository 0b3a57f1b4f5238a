import type { Layer } from "../config/index.ts";
import { shJoin, shQuote } from "./quote.ts";

/**
 * Storage layers as guest shell scripts. A build script prints `key=value` lines on stdout
 * (dev=, mnt=, path= and facts such as localio=) that later layers and the results use.
 */

/** What a built layer (or a scratch disk) gives the layers above it, plus facts recorded while building. */
export interface LayerOutput {
  dev?: string;
  mnt?: string;
  path?: string;
  facts: Record<string, string>;
}

export const TRACEFS = "/sys/kernel/tracing";
/** Tracepoints that show NFS localio engaged (6.12: at mount, and when a file is opened locally). */
export const LOCALIO_EVENTS = ["nfs_local_enable", "nfs_local_open_fh"];

export function mountPointOf(layer: Layer): string | undefined {
  if (layer.type === "xfs" || layer.type === "btrfs" || layer.type === "nfs-localio") return layer.at ?? `/mnt/hangar/${layer.name}`;
  return undefined;
}

const dmName = (layer: Layer) => `hangar-${layer.name}`;
const sectors = (mib: number) => mib * 2048;

function need(what: "dev" | "mnt" | "path", below: LayerOutput, layer: Layer): string {
  const v = below[what];
  if (!v) throw new Error(`storage layer "${layer.name}": "${layer.on}" has no ${what}`);
  return v;
}

/** Parse the `key=value` lines a build script printed (other lines are ignored). */
export function parseLayerOutput(stdout: string): LayerOutput {
  const facts: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^hangar-layer: ([a-z_]+)=(.*)$/.exec(line.trim());
    if (m) facts[m[1]!] = m[2]!;
  }
  const { dev, mnt, path, ...rest } = facts;
  return { ...(dev ? { dev } : {}), ...(mnt ? { mnt } : {}), ...(path ? { path } : {}), facts: rest };
}

const say = (key: string, value: string) => `echo "hangar-layer: ${key}=${value}"`;

function mkfsAndMount(fs: "xfs" | "btrfs", layer: Layer & { mkfs: string[]; options: string }, dev: string): string {
  const mnt = mountPointOf(layer)!;
  return [
    `${shJoin([`mkfs.${fs}`, "-q", "-f", ...layer.mkfs, dev])} > /dev/null`,
    `mkdir -p ${shQuote(mnt)}`,
    shJoin(["mount", "-t", fs, ...(layer.options ? ["-o", layer.options] : []), dev, mnt]),
    say("mnt", mnt),
  ].join("\n");
}

function nfsLocalio(layer: Extract<Layer, { type: "nfs-localio" }>, exportDir: string, index: number): string {
  const at = mountPointOf(layer)!;
  const exportsFile = `/etc/exports.d/${dmName(layer)}.exports`;
  const opts = [`vers=${layer.vers}`, ...(layer.options ? [layer.options] : [])].join(",");
  const events = LOCALIO_EVENTS.map((e) => `${TRACEFS}/events/nfs/${e}/enable`);
  return [
    `modprobe nfsd 2>/dev/null || true`,
    `modprobe nfs 2>/dev/null || true`,
    `[ -e ${TRACEFS}/events ] || mount -t tracefs nodev ${TRACEFS} 2>/dev/null || true`,
    // Kernels with CONFIG_NFS_LOCALIO have the nfs module parameter; without it this is plain loopback NFS.
    `localio=unsupported`,
    `[ -e /sys/module/nfs/parameters/localio_enabled ] && localio=not-in-use`,
    `traced=0`,
    `for e in ${events.map(shQuote).join(" ")}; do if [ -w "$e" ]; then echo 1 > "$e"; traced=1; fi; done`,
    `[ "$traced" = 1 ] && : > ${TRACEFS}/trace`,
    `mkdir -p /etc/exports.d ${shQuote(at)}`,
    `printf '%s\\n' ${shQuote(`${exportDir} 127.0.0.1(rw,no_root_squash,no_subtree_check,insecure,fsid=${100 + index})`)} > ${shQuote(exportsFile)}`,
    `systemctl start nfs-server`,
    `exportfs -ra`,
    shJoin(["mount", "-t", "nfs", "-o", opts, `127.0.0.1:${exportDir}`, at]),
    // Open, write and read a file so the client opens it through localio if it can.
    `echo probe > ${shQuote(`${at}/.hangar-localio-probe`)}`,
    `sync ${shQuote(`${at}/.hangar-localio-probe`)}`,
    `cat ${shQuote(`${at}/.hangar-localio-probe`)} > /dev/null`,
    `if [ "$traced" = 1 ] && grep -qE ${shQuote(LOCALIO_EVENTS.join("|"))} ${TRACEFS}/trace; then localio=in-use; fi`,
    `[ -r /sys/module/nfs/parameters/localio_enabled ] && ${say("localio_enabled", "$(cat /sys/module/nfs/parameters/localio_enabled)")}`,
    say("localio", "$localio"),
    say("export", exportDir),
    say("mnt", at),
  ].join("\n");
}

/** The script that builds a layer on what is below it. */
export function layerBuildScript(layer: Layer, below: LayerOutput, index: number): string {
  switch (layer.type) {
    case "xfs":
    case "btrfs":
      return mkfsAndMount(layer.type, layer, need("dev", below, layer));
    case "file": {
      const path = `${need("mnt", below, layer)}/${layer.name}.img`;
      return [
        `: > ${shQuote(path)}`,
        ...(layer.nocow ? [`chattr +C ${shQuote(path)}`] : []),
        layer.sparse ? shJoin(["truncate", "-s", `${layer.size}M`, path]) : shJoin(["fallocate", "-l", `${layer.size}M`, path]),
        say("path", path),
      ].join("\n");
    }
    case "loop":
      return [`dev=$(${shJoin(["losetup", "--find", "--show", ...(layer.direct_io ? ["--direct-io=on"] : []), need("path", below, layer)])})`, say("dev", "$dev")].join("\n");
    case "dm-thin": {
      const dir = need("mnt", below, layer);
      const meta = `${dir}/${layer.name}.meta`;
      const data = `${dir}/${layer.name}.data`;
      const pool = `${dmName(layer)}-pool`;
      const poolTable = `0 ${sectors(layer.data_size)} thin-pool $meta_dev $data_dev ${layer.block_kib * 2} 0${layer.error_if_no_space ? " 1 error_if_no_space" : ""}`;
      return [
        `modprobe dm-thin-pool 2>/dev/null || true`,
        ...(layer.no_space_timeout !== undefined
          ? [`echo ${Math.round(layer.no_space_timeout / 1000)} > /sys/module/dm_thin_pool/parameters/no_space_timeout`]
          : []),
        shJoin(["truncate", "-s", `${layer.metadata_size}M`, meta]),
        shJoin(["truncate", "-s", `${layer.data_size}M`, data]),
        `meta_dev=$(${shJoin(["losetup", "--find", "--show", meta])})`,
        `data_dev=$(${shJoin(["losetup", "--find", "--show", data])})`,
        // The metadata device must start zeroed: a fresh sparse file is.
        `dmsetup create ${shQuote(pool)} --table "${poolTable}"`,
        shJoin(["dmsetup", "message", pool, "0", "create_thin 0"]),
        shJoin(["dmsetup", "create", dmName(layer), "--table", `0 ${sectors(layer.virtual_size)} thin /dev/mapper/${pool} 0`]),
        say("meta_loop", "$meta_dev"),
        say("data_loop", "$data_dev"),
        say("no_space_timeout", "$(cat /sys/module/dm_thin_pool/parameters/no_space_timeout 2>/dev/null || echo unknown)"),
        say("dev", `/dev/mapper/${dmName(layer)}`),
      ].join("\n");
    }
    case "nfs-localio":
      return nfsLocalio(layer, need("mnt", below, layer), index);
    case "fill": {
      const mnt = need("mnt", below, layer);
      const file = `${mnt}/.hangar-fill-${layer.name}`;
      return [
        `set -- $(df -B1 --output=size,used ${shQuote(mnt)} | tail -n 1)`,
        `need=$(( $1 * ${layer.percent} / 100 - $2 ))`,
        `if [ "$need" -gt 0 ]; then fallocate -l "$need" ${shQuote(file)} || dd if=/dev/zero of=${shQuote(file)} bs=1M count=$(( need >> 20 )) conv=fsync status=none; fi`,
        say("use_percent", `$(df --output=pcent ${shQuote(mnt)} | tail -n 1 | tr -dc 0-9)`),
        say("path", file),
      ].join("\n");
    }
  }
}

/** A command that shows the layer as built (findmnt, losetup, dmsetup…) for the results. */
export function layerInspectCommand(layer: Layer, out: LayerOutput): string {
  const findmnt = (m: string) => shJoin(["findmnt", "-n", "-o", "SOURCE,TARGET,FSTYPE,OPTIONS", m]);
  switch (layer.type) {
    case "xfs":
      return `${findmnt(out.mnt!)} && xfs_info ${shQuote(out.mnt!)}`;
    case "btrfs":
      return `${findmnt(out.mnt!)} && btrfs filesystem df ${shQuote(out.mnt!)}`;
    case "file":
      return `stat -c '%n size=%s blocks=%b' ${shQuote(out.path!)} && (lsattr ${shQuote(out.path!)} 2>/dev/null || true)`;
    case "loop":
      return shJoin(["losetup", "-l", "-O", "NAME,BACK-FILE,DIO,SIZELIMIT,LOG-SEC", out.dev!]);
    case "dm-thin":
      return `${shJoin(["dmsetup", "table", `${dmName(layer)}-pool`])} && ${shJoin(["dmsetup", "table", dmName(layer)])} && ${shJoin(["dmsetup", "status", `${dmName(layer)}-pool`])}`;
    case "nfs-localio":
      return `${findmnt(out.mnt!)} && exportfs -v`;
    case "fill":
      return shJoin(["df", "-h", out.path!.replace(/\/[^/]+$/, "")]);
  }
}

/** The script that takes a layer down (reverse order of building); files and fills go with their filesystem. */
export function layerTeardownScript(layer: Layer, out: LayerOutput): string | undefined {
  switch (layer.type) {
    case "xfs":
    case "btrfs":
      return shJoin(["umount", out.mnt!]);
    case "nfs-localio": {
      // nfsd (and localio's cached nfsd files) keep the exported filesystem busy until the export
      // is released and the server stopped: only then can the layer below be unmounted.
      const exported = out.facts.export;
      return [
        shJoin(["umount", out.mnt!]),
        ...(exported ? [shJoin(["exportfs", "-u", `127.0.0.1:${exported}`])] : []),
        shJoin(["rm", "-f", `/etc/exports.d/${dmName(layer)}.exports`]),
        "exportfs -ra",
        // Stop the server when no export is left (another nfs-localio layer may still use it).
        `if [ -z "$(exportfs 2>/dev/null)" ]; then systemctl stop nfs-server; exportfs -f 2>/dev/null || true; fi`,
      ].join("\n");
    }
    case "loop":
      return shJoin(["losetup", "-d", out.dev!]);
    case "dm-thin":
      return [
        shJoin(["dmsetup", "remove", dmName(layer)]),
        shJoin(["dmsetup", "remove", `${dmName(layer)}-pool`]),
        shJoin(["losetup", "-d", out.facts.meta_loop!, out.facts.data_loop!]),
      ].join("\n");
    case "file":
    case "fill":
      return undefined;
  }
}
