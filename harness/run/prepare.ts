import type { EventSink } from "../common/index.ts";
import { ensureImage } from "../image/index.ts";
import { resolveKernel } from "../kernel/index.ts";
import { resolveAccel, type Accel } from "../vm/index.ts";
import type { BootPlan } from "./boot-plan.ts";

export interface PrepareOptions {
  sink: EventSink;
  accel?: "auto" | Accel;
  /** A bzImage to boot instead of the image's Debian kernel. */
  kernelPath?: string;
  recipe?: string;
  signal?: AbortSignal;
}

/** Image (built on first use), kernel and accelerator: what every guest of a run boots with. */
export async function prepareBoot(o: PrepareOptions): Promise<BootPlan> {
  const image = await ensureImage({ sink: o.sink, ...(o.recipe ? { recipe: o.recipe } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const kernel = await resolveKernel({ image, ...(o.kernelPath ? { path: o.kernelPath } : {}) });
  // The probe boots the image's kernel with a busybox initramfs: it needs no modules.
  const probe = await resolveAccel({ mode: o.accel ?? "auto", kernel: image.kernel, sink: o.sink });
  return {
    accel: probe.accel,
    qemuVersion: probe.qemuVersion,
    kernel,
    image: { id: image.id, rootfs: image.rootfs, sshKey: image.sshKey, bootArgs: image.bootArgs },
  };
}
