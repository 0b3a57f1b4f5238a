import type {
  EnospcFillWorkload,
  FioWorkload,
  FsmarkWorkload,
  Step,
  StressNgWorkload,
  WriteFloodWorkload,
  XfsScrubWorkload,
} from "../config/index.ts";
import { workloadOf } from "../config/index.ts";
import { shJoin, shQuote } from "./quote.ts";

/**
 * The modelled workloads as guest shell scripts (run with `sh -eu`). Each runs until its
 * duration is up, with its own parallelism, in a directory of its own on the layer's mount.
 */

/** Bytes in a size such as "4k", "256M" or "1g" (powers of 1024). */
export function sizeBytes(text: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * mult;
}

const secs = (ms: number) => Math.max(1, Math.round(ms / 1000));

/** Shell preamble: `alive` is true until the workload's duration is up. */
function deadline(ms: number): string {
  return [`end=$(( $(date +%s) + ${secs(ms)} ))`, `alive() { [ "$(date +%s)" -lt "$end" ]; }`, `left() { echo $(( end - $(date +%s) )); }`].join("\n");
}

/** Start `n` copies of shell function `fn` in the background (argument: copy number) and fail if any failed. */
function parallel(fn: string, n: number): string {
  return [
    `pids=""`,
    `i=0; while [ "$i" -lt ${n} ]; do ${fn} "$i" & pids="$pids $!"; i=$((i + 1)); done`,
    `rc=0; for p in $pids; do wait "$p" || rc=$?; done`,
    `exit "$rc"`,
  ].join("\n");
}

/**
 * Run `cmd` in passes until the duration is up; a pass still running at the end is stopped
 * by `timeout` (exit 124 counts as a pass: it ran until the end). A failing pass (ENOSPC, an
 * OOM kill under deliberate pressure) is counted, not fatal; the step fails only when no pass
 * succeeded, with the last failure's output, so a workload that cannot run is never silent.
 * A pass stuck in the kernel (D state) ignores the signal: the step's own timeout catches it.
 */
function passes(label: string, cmd: string, between = ":"): string {
  return [
    `errf=$(mktemp)`,
    `ok=0; failed=0`,
    `while alive; do`,
    `  rc=0; ${timed(cmd)} > /dev/null 2> "$errf" || rc=$?`,
    `  if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then ok=$((ok + 1)); else failed=$((failed + 1)); cp "$errf" "$errf.last"; fi`,
    `  ${between}`,
    `done`,
    `echo "${label} passes=$ok failed=$failed"`,
    `if [ "$ok" -eq 0 ]; then echo "${label}: no pass succeeded" >&2; cat "$errf.last" >&2 2>/dev/null; exit 1; fi`,
  ].join("\n");
}

/** A command bounded by the time the workload has left. */
function timed(cmd: string): string {
  return `timeout -k 10 "$(left)" ${cmd}`;
}

function workDir(mount: string, step: string, kind: string): string {
  return `${mount}/hangar-${kind}-${step}`;
}

export function fioScript(w: FioWorkload, dir: string, step: string): string {
  const args = [
    "fio",
    `--name=${step}`,
    `--directory=${dir}`,
    `--numjobs=${w.jobs}`,
    `--size=${w.size}`,
    `--bs=${w.bs}`,
    `--rw=${w.rw}`,
    `--direct=${w.direct ? 1 : 0}`,
    `--fallocate=${w.fallocate}`,
    `--ioengine=${w.ioengine}`,
    `--iodepth=${w.iodepth}`,
    "--norandommap",
    "--group_reporting",
    ...(w.fsync ? [`--fsync=${w.fsync}`] : []),
    ...(w.unlink_each_loop ? ["--unlink=1"] : []),
    ...Object.entries(w.extra).map(([k, v]) => `--${k}=${typeof v === "boolean" ? (v ? 1 : 0) : v}`),
  ];
  // One pass per loop: fresh files (unwritten extents when preallocated), written until the
  // size is done or the time is up, then unlinked, so every pass converts unwritten space again.
  return [
    deadline(w.duration),
    `mkdir -p ${shQuote(dir)}`,
    passes("fio", `${shJoin(args)} --runtime="$(left)"`),
  ].join("\n");
}

export function fsmarkScript(w: FsmarkWorkload, dir: string): string {
  // fs_mark refuses directory paths of 40 bytes or more: run it inside the work directory
  // with short relative thread directories.
  const dirs = Array.from({ length: w.threads }, (_, i) => `t${i}`);
  const args = ["fs_mark", "-k", "-L", "1", "-S", String(w.sync), "-s", String(w.size), "-n", String(w.files), "-D", String(w.dirs), ...dirs.flatMap((d) => ["-d", d])];
  const remove = w.remove ? `for d in ${dirs.join(" ")}; do rm -rf "$d" & done; wait; mkdir -p ${dirs.join(" ")}` : `:`;
  return [
    deadline(w.duration),
    `mkdir -p ${shQuote(dir)}`,
    `cd ${shQuote(dir)}`,
    `mkdir -p ${dirs.join(" ")}`,
    passes("fsmark", shJoin(args), remove),
  ].join("\n");
}

export function xfsScrubScript(w: XfsScrubWorkload, mount: string): string {
  const args = ["xfs_scrub", ...(w.mode === "check" ? ["-n"] : []), mount];
  // xfs_scrub exits non-zero when it finds (or fixes) something on a busy filesystem; that is
  // recorded, not fatal. A missing kernel facility (exit 4 on the first pass) or a usage error is.
  return [
    deadline(w.duration),
    `passes=0; nonzero=0`,
    `while alive; do`,
    `  rc=0; ${timed(shJoin(args))} > /dev/null 2>&1 || rc=$?`,
    `  [ "$rc" -ne 124 ] || rc=0`,
    `  if [ "$rc" -ge 8 ] || { [ "$rc" -eq 4 ] && [ "$passes" -eq 0 ]; }; then ${shJoin(args)} >&2 || true; echo "xfs_scrub failed: exit $rc" >&2; exit "$rc"; fi`,
    `  [ "$rc" -eq 0 ] || nonzero=$((nonzero + 1))`,
    `  passes=$((passes + 1))`,
    ...(w.pause ? [`  sleep ${secs(w.pause)}`] : []),
    `done`,
    `echo "xfs_scrub passes=$passes nonzero=$nonzero"`,
  ].join("\n");
}

/** `dd` writing `count` blocks of `bs` of the chosen data into "$f" (a shell variable of the caller). */
function ddWrite(data: "zero" | "compressible" | "random", bs: string, count: number, fsync: boolean): string {
  const source = data === "zero" ? "if=/dev/zero " : data === "random" ? "if=/dev/urandom " : "";
  const dd = timed(`dd ${source}of="$f" ${shJoin([`bs=${bs}`, `count=${count}`, "iflag=fullblock", "status=none", ...(fsync ? ["conv=fsync"] : [])])}`);
  return source ? dd : `yes "hangar compressible data $i $n" | ${dd}`;
}

export function writeFloodScript(w: WriteFloodWorkload, dir: string): string {
  const count = Math.max(1, Math.floor(sizeBytes(w.size) / sizeBytes(w.bs)));
  return [
    deadline(w.duration),
    `mkdir -p ${shQuote(dir)}`,
    `writer() {`,
    `  i=$1; n=0; ok=0; failed=0`,
    `  while alive; do`,
    `    f=${shQuote(dir)}/w$i.$((n % ${w.files}))`,
    `    rc=0; ${ddWrite(w.data, w.bs, count, w.fsync)} 2>/dev/null || rc=$?`,
    `    if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then ok=$((ok + 1)); else failed=$((failed + 1)); fi`,
    `    n=$((n + 1))`,
    `  done`,
    `  echo "writer $i: files written=$ok failed=$failed"`,
    `  [ "$ok" -gt 0 ]`,
    `}`,
    parallel("writer", w.writers),
  ].join("\n");
}

export function enospcFillScript(w: EnospcFillWorkload, dir: string): string {
  // Each file grows until ENOSPC (or 1 GiB); on ENOSPC a writer deletes a share of its files and goes on.
  const count = Math.max(1, Math.floor(1024 ** 3 / sizeBytes(w.bs)));
  return [
    deadline(w.duration),
    `mkdir -p ${shQuote(dir)}`,
    `writer() {`,
    `  i=$1; n=0; full=0`,
    `  while alive; do`,
    `    f=${shQuote(dir)}/fill.$i.$n`,
    `    if ! ${ddWrite("zero", w.bs, count, w.fsync)} 2>/dev/null; then`,
    `      full=$((full + 1))`,
    `      ls ${shQuote(dir)} | grep "^fill\\.$i\\." | awk -v p=${w.free_percent} 'int(NR * p / 100) != int((NR - 1) * p / 100)' | while read -r x; do rm -f ${shQuote(dir)}/"$x"; done`,
    `    fi`,
    `    n=$((n + 1))`,
    `  done`,
    `  echo "writer $i: files=$n enospc=$full"`,
    `}`,
    parallel("writer", w.writers),
  ].join("\n");
}

export function stressNgScript(w: StressNgWorkload, dir: string): string {
  const stressors = Object.entries(w.stressors).filter(([, n]) => n > 0).flatMap(([s, n]) => [`--${s}`, String(n)]);
  // stress-ng exits 2 when a stressor failed and 3 when a resource ran out (ENOSPC, memory):
  // expected on a full filesystem under pressure; other codes are errors.
  return [
    `mkdir -p ${shQuote(dir)}`,
    `rc=0; ${shJoin(["stress-ng", "--temp-path", dir, "--timeout", `${secs(w.duration)}s`, "--metrics-brief", ...stressors, ...w.args])} || rc=$?`,
    `echo "stress-ng exit $rc"`,
    `case "$rc" in 0|2|3) exit 0 ;; *) exit "$rc" ;; esac`,
  ].join("\n");
}

/**
 * The work directories of the steps' workloads (`hangar-<kind>-<step>` on their layer's mount),
 * made when the storage is built: a setup step that fills a filesystem (one usable AG, ENOSPC)
 * must not leave a workload unable to create its own directory.
 */
export function workloadDirs(steps: readonly Step[], mounts: Record<string, string>): string[] {
  return steps.flatMap((step) => {
    const w = workloadOf(step);
    const mount = w && w.kind !== "xfs_scrub" ? mounts[w.spec.layer] : undefined;
    return mount ? [workDir(mount, step.name, w!.kind)] : [];
  });
}

/**
 * The shell script of a step: its own `run`, or its workload's script on the mount point of
 * the layer it names (`mounts`: layer name → mount point).
 */
export function stepScript(step: Step, mounts: Record<string, string>): string {
  if (step.run !== undefined) return step.run;
  const w = workloadOf(step)!;
  const mount = mounts[w.spec.layer];
  if (!mount) throw new Error(`step "${step.name}": layer "${w.spec.layer}" has no mount point`);
  const dir = workDir(mount, step.name, w.kind);
  switch (w.kind) {
    case "fio":
      return fioScript(w.spec as FioWorkload, dir, step.name);
    case "fsmark":
      return fsmarkScript(w.spec as FsmarkWorkload, dir);
    case "xfs_scrub":
      return xfsScrubScript(w.spec as XfsScrubWorkload, mount);
    case "write_flood":
      return writeFloodScript(w.spec as WriteFloodWorkload, dir);
    case "enospc_fill":
      return enospcFillScript(w.spec as EnospcFillWorkload, dir);
    case "stress_ng":
      return stressNgScript(w.spec as StressNgWorkload, dir);
  }
}
