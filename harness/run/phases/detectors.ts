import { readFile } from "node:fs/promises";
import { timeout } from "../../common/index.ts";
import {
  detectorParams,
  detectorSysctls,
  GUEST_MODULE_DIR,
  KERNEL_CONFIG_COMMAND,
  missingOptions,
  moduleParamCommand,
  parseKernelConfig,
  sysctlCommand,
  writeFileCommand,
} from "../../guest/index.ts";
import { envName, stepEnvironment } from "../boot-plan.ts";
import type { AttemptContext } from "../context.ts";
import { unlessAborted } from "../watchdog.ts";
import type { PhaseResult } from "./types.ts";

/**
 * Arm the kernel's detectors (hung task, soft lockup, RCU stall, workqueue watchdog) and put
 * the scenario's test modules in place. Required options the host could not check are checked
 * here, in the guest.
 */
export async function detectors(ctx: AttemptContext): Promise<PhaseResult> {
  const { sc, plan, machine } = ctx;
  const uname = await ctx.exec("uname -r", timeout("guestShort"), { again: true });
  ctx.facts.kernelRelease = uname.stdout.trim();
  if (sc.kernel.requires.length && !ctx.facts.missingOptions) {
    const cfg = await ctx.exec(KERNEL_CONFIG_COMMAND, timeout("kernelConfig"), { again: true });
    if (cfg.code !== 0) throw new Error(`cannot read the kernel config: ${cfg.stderr.trim()}`);
    const missing = missingOptions(parseKernelConfig(cfg.stdout), sc.kernel.requires);
    if (missing.length) {
      ctx.facts.missingOptions = missing;
      return { status: "skipped", reason: `kernel ${ctx.facts.kernelRelease} lacks ${missing.join(", ")}` };
    }
  }
  ctx.env = { ...stepEnvironment(sc, ctx.attempt, machine.disks) };
  for (const m of sc.kernel.modules) {
    const remote = `${GUEST_MODULE_DIR}/${m}.ko`;
    const input = await readFile(plan.kernel.modules![m]!);
    const r = await unlessAborted(machine.exec(writeFileCommand(remote), { timeoutMs: timeout("moduleCopy"), input }), ctx.watchdog.signal);
    if (r.code !== 0) throw new Error(`copying module ${m} into the guest failed: ${r.timedOut ? "timed out" : r.stderr.trim() || `exit ${r.code}`}`);
    ctx.env[envName("MODULE", m)] = remote;
  }
  const sysctls = detectorSysctls(sc.detectors, plan.accel);
  const sysctl = sysctlCommand(sysctls);
  if (sysctl) {
    const r = await ctx.exec(sysctl, timeout("guestShort"), { again: true });
    if (r.code !== 0) throw new Error(`detector sysctls failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
  ctx.facts.detectors = { sysctl: sysctls, params: {} };
  for (const p of detectorParams(sc.detectors, plan.accel)) {
    const r = await ctx.exec(moduleParamCommand(p), timeout("guestShort"), { again: true });
    ctx.facts.detectors.params[p.name] = r.stdout.trim() || `failed: ${r.stderr.trim() || `exit ${r.code}`}`;
  }
}
