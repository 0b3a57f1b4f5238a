import { readFile, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { cacheDir, writeJsonAtomic, type EventSink } from "../common/index.ts";
import { buildQemuArgs, type Accel } from "./qemu-args.ts";
import { buildProbeInitramfs, PROBE_MARKER } from "./probe-initramfs.ts";
import { registerChild, unregisterChild } from "./reaper.ts";

export const QEMU_BINARY = "qemu-system-x86_64";

const accelProbeSchema = z.object({
  accel: z.enum(["kvm", "tcg"]),
  qemuVersion: z.string(),
  kernel: z.string(),
  probedAt: z.string(),
  /** Why KVM was not used, when it was not. */
  kvmError: z.string().optional(),
  tcgBootMs: z.number().optional(),
  kvmBootMs: z.number().optional(),
});

export type AccelProbe = z.infer<typeof accelProbeSchema>;

/** The cached decision, when the file holds a valid one (anything else: probe again). */
async function readProbe(): Promise<AccelProbe | undefined> {
  const text = await readFile(probeFile(), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const r = accelProbeSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export interface ProbeOutcome {
  ok: boolean;
  ms: number;
  error?: string;
}

/** Boot `kernel` with the busybox probe initramfs under `accel`; ok when the marker shows within `deadlineMs`. */
export async function probeBoot(accel: Accel, kernel: string, initramfs: string, deadlineMs: number): Promise<ProbeOutcome> {
  const dir = await mkdtemp(join(tmpdir(), "hangar-accel-"));
  const consoleLog = join(dir, "console.log");
  const args = buildQemuArgs({
    accel,
    memoryMiB: 256,
    cpus: 1,
    kernel,
    initrd: initramfs,
    append: "console=ttyS0 panic=-1 rdinit=/init quiet loglevel=1",
    disks: [],
    consoleLog,
  });
  const t0 = Date.now();
  try {
    const child = execa(QEMU_BINARY, args, { reject: false, timeout: deadlineMs, forceKillAfterDelay: 2_000, stdin: "ignore", all: true });
    if (child.pid) registerChild(child.pid, `accel probe ${accel}`);
    // A broken KVM (as on these machines) says so on stderr and then sits paused: stop at once.
    let fatal: string | undefined;
    child.all?.on("data", (d: Buffer) => {
      const m = /(KVM internal error[^\n]*|Could not access KVM kernel module[^\n]*|failed to initialize kvm[^\n]*)/i.exec(d.toString());
      if (m && !fatal) {
        fatal = m[1];
        child.kill("SIGKILL");
      }
    });
    const r = await child;
    if (child.pid) unregisterChild(child.pid);
    const out = await readFile(consoleLog, "utf8").catch(() => "");
    const ms = Date.now() - t0;
    if (out.includes(PROBE_MARKER)) return { ok: true, ms };
    const why = fatal
      ? fatal
      : r.timedOut
      ? `no marker within ${deadlineMs} ms`
      : (String(r.all ?? "").trim().split("\n").filter(Boolean).slice(0, 3).join(" | ") || `qemu exited ${r.exitCode}`);
    return { ok: false, ms, error: why };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function qemuVersion(): Promise<string> {
  const r = await execa(QEMU_BINARY, ["--version"], { timeout: 10_000 });
  return r.stdout.split("\n")[0]!.trim();
}

const probeFile = () => join(cacheDir(), "accel.json");

/**
 * Decide the accelerator: `kvm` or `tcg` as asked, or `auto`: try a tiny real KVM boot
 * and fall back to TCG. The answer is cached per QEMU version and kernel.
 */
export async function resolveAccel(opts: { mode: "auto" | Accel; kernel: string; sink: EventSink; refresh?: boolean }): Promise<AccelProbe> {
  const version = await qemuVersion();
  if (opts.mode !== "auto") {
    return { accel: opts.mode, qemuVersion: version, kernel: opts.kernel, probedAt: new Date().toISOString() };
  }
  if (!opts.refresh) {
    const cached = await readProbe();
    if (cached && cached.qemuVersion === version && cached.kernel === opts.kernel) {
      opts.sink.emit({ type: "log", level: "debug", message: `accelerator ${cached.accel} (cached probe of ${cached.probedAt})` });
      return cached;
    }
  }
  opts.sink.emit({ type: "step", step: "vm.accel-probe", status: "start" });
  const dir = await mkdtemp(join(tmpdir(), "hangar-probe-"));
  try {
    const initramfs = await buildProbeInitramfs(join(dir, "probe.cpio"));
    const result: AccelProbe = { accel: "tcg", qemuVersion: version, kernel: opts.kernel, probedAt: new Date().toISOString() };
    const hasKvm = await stat("/dev/kvm").then(() => true, () => false);
    if (hasKvm) {
      const kvm = await probeBoot("kvm", opts.kernel, initramfs, 20_000);
      result.kvmBootMs = kvm.ms;
      if (kvm.ok) result.accel = "kvm";
      else result.kvmError = kvm.error ?? "unknown";
    } else {
      result.kvmError = "/dev/kvm does not exist";
    }
    if (result.accel === "tcg") {
      const tcg = await probeBoot("tcg", opts.kernel, initramfs, 120_000);
      result.tcgBootMs = tcg.ms;
      if (!tcg.ok) throw new Error(`QEMU cannot boot ${opts.kernel} even under TCG: ${tcg.error}`);
    }
    await writeJsonAtomic(probeFile(), result);
    opts.sink.emit({
      type: "step",
      step: "vm.accel-probe",
      status: "done",
      detail: result.accel === "kvm" ? "kvm works" : `using tcg (kvm: ${result.kvmError})`,
    });
    return result;
  } catch (err) {
    opts.sink.emit({ type: "step", step: "vm.accel-probe", status: "fail", detail: (err as Error).message });
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
