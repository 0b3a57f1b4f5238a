import type { Pressure } from "../config/index.ts";
import { shJoin, shQuote } from "./quote.ts";
import { killSessionCommand } from "./detached.ts";

/**
 * Memory pressure in the guest, and the evidence that it was there: commands to start and
 * stop the pressure around the workload, a snapshot of the kernel's counters, and the pure
 * arithmetic that turns two snapshots and the sampler's lines into evidence.
 */

export const PRESSURE_CGROUP = "/sys/fs/cgroup/hangar";
const RUN_DIR = "/run/hangar";
const SESSION_FILE = `${RUN_DIR}/pressure.sid`;
const SAMPLES_FILE = `${RUN_DIR}/pressure.samples`;
/** Slab caches whose object counts the evidence follows. */
export const SLAB_CACHES = ["xfs_inode", "xfs_ili", "btrfs_inode", "nfs_inode_cache", "dentry"];
const SAMPLE_EVERY_S = 2;

/** vm sysctls a pressure section sets. */
export function pressureSysctls(p: Pressure | undefined): Record<string, number> {
  if (!p) return {};
  return {
    ...(p.vfs_cache_pressure !== undefined ? { "vm.vfs_cache_pressure": p.vfs_cache_pressure } : {}),
    // dirty_bytes before dirty_background_bytes: the kernel keeps background below the limit.
    ...(p.dirty_bytes !== undefined ? { "vm.dirty_bytes": p.dirty_bytes * 1024 * 1024 } : {}),
    ...(p.dirty_background_bytes !== undefined ? { "vm.dirty_background_bytes": p.dirty_background_bytes * 1024 * 1024 } : {}),
    ...(p.min_free_kbytes !== undefined ? { "vm.min_free_kbytes": p.min_free_kbytes } : {}),
  };
}

/** Create the workload cgroup with its limits (run before the workload phase). */
export function cgroupSetupScript(c: NonNullable<Pressure["cgroup"]>): string {
  const cg = PRESSURE_CGROUP;
  const write = (file: string, mib: number | undefined) =>
    mib === undefined ? [] : [`echo ${mib * 1024 * 1024} > ${cg}/${file}`];
  return [
    `grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || echo +memory > /sys/fs/cgroup/cgroup.subtree_control`,
    `mkdir -p ${cg}`,
    ...write("memory.max", c.memory_max),
    ...write("memory.high", c.memory_high),
    ...(c.swap_max !== undefined ? [`[ ! -e ${cg}/memory.swap.max ] || echo ${c.swap_max * 1024 * 1024} > ${cg}/memory.swap.max`] : []),
  ].join("\n");
}

/** Prefix for a step script that moves the step's shell into the workload cgroup. */
export const JOIN_CGROUP = `echo $$ > ${PRESSURE_CGROUP}/cgroup.procs`;

/** The background loops of one attempt's pressure, plus the evidence sampler (always on). */
export function pressureLoops(p: Pressure | undefined): string[] {
  const slabRe = `^(${SLAB_CACHES.join("|")}) `;
  const loops = [
    // time, PSI some avg10, then name=active_objs for the followed slab caches
    `while :; do printf '%s %s %s\\n' "$(date +%s)" "$(awk '/^some/{sub("avg10=","",$2); print $2}' /proc/pressure/memory 2>/dev/null)" "$(grep -E ${shQuote(slabRe)} /proc/slabinfo 2>/dev/null | awk '{printf "%s=%s ", $1, $2}')" >> ${SAMPLES_FILE}; sleep ${SAMPLE_EVERY_S}; done`,
  ];
  if (p?.hogs) {
    const h = p.hogs;
    const args = (bytes: string) => `${shJoin(["stress-ng", "--vm", String(h.workers), "--vm-bytes"])} ${bytes} ${shJoin([...(h.keep ? ["--vm-keep"] : []), "--vm-populate", "--timeout", "0", "--quiet"])}`;
    if (h.bytes !== undefined) loops.push(`exec ${args(shQuote(h.bytes))}`);
    else {
      // Everything MemAvailable has now, but `leave`, split over the workers.
      loops.push(`kib=$(( ($(awk '/^MemAvailable:/{print $2}' /proc/meminfo) - ${h.leave! * 1024}) / ${h.workers} )); [ "$kib" -gt 4096 ] || kib=4096; exec ${args('"${kib}k"')}`);
    }
  }
  if (p?.drop_caches) loops.push(`while :; do echo ${p.drop_caches.mode} > /proc/sys/vm/drop_caches; sleep ${p.drop_caches.every / 1000}; done`);
  if (p?.compact_memory) loops.push(`while :; do echo 1 > /proc/sys/vm/compact_memory; sleep ${p.compact_memory.every / 1000}; done`);
  return loops;
}

/**
 * Start the loops in a session of their own (so one `pkill -s` stops them all, stress-ng's
 * own process groups included). Returns at once; the loops outlive the SSH channel.
 */
export function pressureStartCommand(p: Pressure | undefined): string {
  const body = [`echo $$ > ${SESSION_FILE}`, ...pressureLoops(p).map((l) => `(${l}) &`), "wait"].join("\n");
  return [
    // Loops left by an earlier start are stopped first: starting again (after a lost connection) is safe.
    PRESSURE_STOP_COMMAND,
    `mkdir -p ${RUN_DIR}`,
    `rm -f ${SESSION_FILE}`,
    `: > ${SAMPLES_FILE}`,
    `setsid sh -c ${shQuote(body)} > /dev/null 2>&1 < /dev/null &`,
    `i=0; while [ ! -s ${SESSION_FILE} ] && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done`,
    `cat ${SESSION_FILE}`,
  ].join("\n");
}

export const PRESSURE_STOP_COMMAND = `${killSessionCommand(SESSION_FILE)}; rm -f ${SESSION_FILE}`;

export const SAMPLES_COMMAND = `cat ${SAMPLES_FILE} 2>/dev/null || true`;

/** Counters before and after the workload phase. */
export const SNAPSHOT_COMMAND = [
  `echo '== psi'; cat /proc/pressure/memory 2>/dev/null || true`,
  `echo '== vmstat'; grep -E '^(allocstall|pgscan|pgsteal|oom_kill|compact_stall|slabs_scanned|kswapd_inodesteal|pginodesteal|workingset_refault_file|pswpout)' /proc/vmstat || true`,
  `echo '== slab'; grep -E ${shQuote(`^(${SLAB_CACHES.join("|")}) `)} /proc/slabinfo 2>/dev/null || true`,
  `echo '== cgroup.events'; cat ${PRESSURE_CGROUP}/memory.events 2>/dev/null || true`,
  // The cgroup's own reclaim, split like /proc/vmstat's: a limit reached by the workload's own
  // cgroup is reclaimed directly by the allocating task (pgscan_direct), which the global
  // allocstall does not count.
  `echo '== cgroup.stat'; grep -E '^((pgscan|pgsteal)(_kswapd|_direct|_khugepaged)?|workingset_refault_file) ' ${PRESSURE_CGROUP}/memory.stat 2>/dev/null || true`,
  `echo '== cgroup.peak'; cat ${PRESSURE_CGROUP}/memory.peak 2>/dev/null || true`,
  `echo '== meminfo'; grep -E '^(MemTotal|MemFree|MemAvailable|Dirty|Writeback):' /proc/meminfo`,
].join("; ");

export interface Snapshot {
  psi?: { some: { avg10: number; total: number }; full?: { avg10: number; total: number } };
  vmstat: Record<string, number>;
  slab: Record<string, number>;
  cgroupEvents: Record<string, number>;
  cgroupStat: Record<string, number>;
  cgroupPeak?: number;
  meminfoKiB: Record<string, number>;
}

export function parseSnapshot(text: string): Snapshot {
  const snap: Snapshot = { vmstat: {}, slab: {}, cgroupEvents: {}, cgroupStat: {}, meminfoKiB: {} };
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const head = /^== (\S+)$/.exec(line);
    if (head) {
      section = head[1]!;
      continue;
    }
    if (!line) continue;
    const words = line.split(/\s+/);
    switch (section) {
      case "psi": {
        const kind = words[0];
        const avg10 = Number(/avg10=([\d.]+)/.exec(line)?.[1] ?? NaN);
        const total = Number(/total=(\d+)/.exec(line)?.[1] ?? NaN);
        if ((kind === "some" || kind === "full") && Number.isFinite(total)) {
          snap.psi ??= { some: { avg10: 0, total: 0 } };
          snap.psi[kind] = { avg10, total };
        }
        break;
      }
      case "vmstat":
        if (words.length === 2) snap.vmstat[words[0]!] = Number(words[1]);
        break;
      case "slab":
        if (words.length > 2) snap.slab[words[0]!] = Number(words[1]);
        break;
      case "cgroup.events":
        if (words.length === 2) snap.cgroupEvents[words[0]!] = Number(words[1]);
        break;
      case "cgroup.stat":
        if (words.length === 2) snap.cgroupStat[words[0]!] = Number(words[1]);
        break;
      case "cgroup.peak":
        if (/^\d+$/.test(line)) snap.cgroupPeak = Number(line);
        break;
      case "meminfo": {
        const m = /^(\w+):\s+(\d+)/.exec(line);
        if (m) snap.meminfoKiB[m[1]!] = Number(m[2]);
        break;
      }
    }
  }
  return snap;
}

/** What the attempt's pressure evidence says, as stored in pressure.json and shown in the summary. */
export interface PressureEvidence {
  /** The scenario asked for pressure. */
  asked: boolean;
  /** Some reclaim or memory stall was measured. */
  shown: boolean;
  /**
   * Some task reclaimed in its own context: a global direct reclaim (allocstall, pgscan_direct)
   * or a direct reclaim of the workload cgroup at its limit (its memory.stat pgscan_direct).
   * kswapd-only pressure leaves this false.
   */
  directReclaim: boolean;
  durationMs: number;
  psi?: { someStallMs: number; fullStallMs: number; someAvg10Peak: number };
  /** /proc/vmstat deltas over the workload phase (allocstall summed over zones). */
  vmstat: Record<string, number>;
  oomKills: number;
  /** Active objects per followed slab cache: before, after and the sampled peak. */
  slab: Record<string, { before: number; after: number; peak: number }>;
  cgroup?: { events: Record<string, number>; stat: Record<string, number>; peakMiB?: number };
  samples: number;
}

const VMSTAT_KEYS = ["allocstall", "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct", "oom_kill", "compact_stall", "slabs_scanned", "kswapd_inodesteal", "workingset_refault_file"];

function vmstatValue(v: Record<string, number>, key: string): number {
  if (key !== "allocstall") return v[key] ?? 0;
  return Object.entries(v).reduce((sum, [k, n]) => (k.startsWith("allocstall") ? sum + n : sum), 0);
}

/** Peaks from the sampler's lines: "<time> <avg10> name=active …". */
export function parseSamples(text: string): { count: number; avg10Peak: number; slabPeak: Record<string, number> } {
  let count = 0;
  let avg10Peak = 0;
  const slabPeak: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words.length < 2 || !/^\d+$/.test(words[0]!)) continue;
    count++;
    const avg = Number(words[1]);
    if (Number.isFinite(avg)) avg10Peak = Math.max(avg10Peak, avg);
    for (const w of words.slice(2)) {
      const m = /^([a-z0-9_]+)=(\d+)$/.exec(w);
      if (m) slabPeak[m[1]!] = Math.max(slabPeak[m[1]!] ?? 0, Number(m[2]));
    }
  }
  return { count, avg10Peak, slabPeak };
}

export function pressureEvidence(before: Snapshot, after: Snapshot, samplesText: string, o: { asked: boolean; durationMs: number }): PressureEvidence {
  const vmstat: Record<string, number> = {};
  for (const k of VMSTAT_KEYS) vmstat[k] = Math.max(0, vmstatValue(after.vmstat, k) - vmstatValue(before.vmstat, k));
  const samples = parseSamples(samplesText);
  const slab: PressureEvidence["slab"] = {};
  for (const name of SLAB_CACHES) {
    const b = before.slab[name];
    const a = after.slab[name];
    if (b === undefined && a === undefined && samples.slabPeak[name] === undefined) continue;
    slab[name] = { before: b ?? 0, after: a ?? 0, peak: Math.max(b ?? 0, a ?? 0, samples.slabPeak[name] ?? 0) };
  }
  const psi =
    before.psi && after.psi
      ? {
          someStallMs: Math.max(0, Math.round((after.psi.some.total - before.psi.some.total) / 1000)),
          fullStallMs: Math.max(0, Math.round(((after.psi.full?.total ?? 0) - (before.psi.full?.total ?? 0)) / 1000)),
          someAvg10Peak: Math.max(samples.avg10Peak, after.psi.some.avg10),
        }
      : undefined;
  const hasCgroup = Object.keys(after.cgroupEvents).length > 0;
  const cgroup = hasCgroup
    ? {
        events: after.cgroupEvents,
        stat: Object.fromEntries(Object.entries(after.cgroupStat).map(([k, v]) => [k, Math.max(0, v - (before.cgroupStat[k] ?? 0))])),
        ...(after.cgroupPeak !== undefined ? { peakMiB: Math.round(after.cgroupPeak / 1048576) } : {}),
      }
    : undefined;
  const cgroupReclaim = cgroup
    ? (cgroup.events.high ?? 0) + (cgroup.events.max ?? 0) + (cgroup.stat.pgscan ?? 0)
    : 0;
  const shown =
    (psi?.someStallMs ?? 0) > 0 || vmstat.pgscan_kswapd! + vmstat.pgscan_direct! + vmstat.allocstall! > 0 || cgroupReclaim > 0;
  const directReclaim = vmstat.allocstall! + vmstat.pgscan_direct! + (cgroup?.stat.pgscan_direct ?? 0) > 0;
  return {
    asked: o.asked,
    shown,
    directReclaim,
    durationMs: o.durationMs,
    ...(psi ? { psi } : {}),
    vmstat,
    oomKills: vmstat.oom_kill ?? 0,
    slab,
    ...(cgroup ? { cgroup } : {}),
    samples: samples.count,
  };
}

const k = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : String(n));

/** One line for the summary: "psi some 12.3 s (avg10 peak 45%), pgscan 1.2M (kswapd 1.0M, direct 200k), allocstall 12, oom kills 0, xfs_inode peak 45k". */
export function describeEvidence(e: PressureEvidence): string {
  const parts: string[] = [];
  if (e.psi) parts.push(`psi some ${(e.psi.someStallMs / 1000).toFixed(1)} s (avg10 peak ${e.psi.someAvg10Peak.toFixed(0)}%)`);
  const v = e.vmstat;
  parts.push(`pgscan ${k(v.pgscan_kswapd! + v.pgscan_direct!)} (kswapd ${k(v.pgscan_kswapd!)}, direct ${k(v.pgscan_direct!)})`);
  parts.push(`allocstall ${k(v.allocstall!)}`);
  if (e.cgroup) {
    const c = e.cgroup.stat;
    // The cgroup's own scans, next to the global ones (kernels before 5.8 have no split).
    const scans = c.pgscan_kswapd !== undefined || c.pgscan_direct !== undefined ? ` (kswapd ${k(c.pgscan_kswapd ?? 0)}, direct ${k(c.pgscan_direct ?? 0)})` : "";
    parts.push(
      `cgroup high/max events ${k(e.cgroup.events.high ?? 0)}/${k(e.cgroup.events.max ?? 0)}, cgroup pgscan ${k(c.pgscan ?? 0)}${scans}${e.cgroup.peakMiB !== undefined ? `, peak ${e.cgroup.peakMiB} MiB` : ""}`,
    );
  }
  const kswapd = v.pgscan_kswapd! + (e.cgroup?.stat.pgscan_kswapd ?? 0) > 0;
  if (e.directReclaim) parts.push("direct reclaim: yes");
  else if (kswapd) parts.push("direct reclaim: none (kswapd only)");
  parts.push(`oom kills ${e.oomKills}`);
  for (const [name, s] of Object.entries(e.slab)) if (name.endsWith("_inode") && s.peak) parts.push(`${name} peak ${k(s.peak)}`);
  return parts.join(", ");
}
