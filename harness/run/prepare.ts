import { guarded, type EventSink } from "../common/index.ts";
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
}

/** Image (built on first use), kernel and accelerator: what every guest of a run boots with. */
export async function prepareBoot(o: PrepareOptions): Promise<BootPlan> {
  // An interrupted build must undo its mounts: guarded() gives it time to.
  const image = await guarded((signal) => ensureImage({ sink: o.sink, signal, ...(o.recipe ? { recipe: o.recipe } : {}) }));
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
