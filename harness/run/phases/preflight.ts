import { readFile } from "node:fs/promises";
import { missingOptions, parseKernelConfig } from "../../guest/index.ts";
import type { AttemptContext } from "../context.ts";
import type { PhaseResult } from "./types.ts";

/**
 * Before booting: can this kernel serve the scenario at all? Test modules are known on the host
 * (a built kernel carries them); required options are read from the kernel's config on the
 * host when there is one (the image's /boot/config-*, a build's `config`). When hangar cannot
 * tell, the detectors phase checks again inside the guest.
 */
export async function preflight(ctx: AttemptContext): Promise<PhaseResult> {
  const { sc, plan } = ctx;
  const kernel = `kernel ${plan.kernel.version ?? plan.kernel.kernel}`;
  for (const m of sc.kernel.modules) {
    if (!plan.kernel.modules?.[m]) {
      return { status: "skipped", reason: `${kernel} has no test module ${m} (kernels from \`hangar kernel build\` carry vm-images/modules/*; no guest booted)` };
    }
  }
  if (!sc.kernel.requires.length || !plan.kernel.config) return;
  const text = await readFile(plan.kernel.config, "utf8").catch(() => undefined);
  if (text === undefined) return;
  const missing = missingOptions(parseKernelConfig(text), sc.kernel.requires);
  if (!missing.length) return;
  ctx.facts.missingOptions = missing;
  return { status: "skipped", reason: `${kernel} lacks ${missing.join(", ")} (read from ${plan.kernel.config}; no guest booted)` };
}
