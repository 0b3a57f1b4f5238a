import { guarded, type EventSink } from "../common/index.ts";
import { ensureImage } from "../image/index.ts";
import { builtKernelArgs, resolveKernel } from "../kernel/index.ts";
import { baseKernelArgs, resolveAccel, type Accel } from "../vm/index.ts";
import type { BootPlan } from "./boot-plan.ts";

export interface PrepareOptions {
  sink: EventSink;
  accel?: "auto" | Accel;
  /** A bzImage path, or the id (unique prefix) of a built kernel (`hangar kernel list`), to boot instead of the image's Debian kernel. */
  kernelPath?: string;
  recipe?: string;
}

/** Image (built on first use), kernel and accelerator: what every guest of a run boots with. */
export async function prepareBoot(o: PrepareOptions): Promise<BootPlan> {
  // An interrupted build must undo its mounts: guarded() gives it time to.
  const image = await guarded((signal) => ensureImage({ sink: o.sink, signal, ...(o.recipe ? { recipe: o.recipe } : {}) }));
  // A built kernel's test modules are rebuilt here when their sources changed.
  const kernel = await guarded((signal) => resolveKernel({ image, sink: o.sink, signal, ...(o.kernelPath ? { path: o.kernelPath } : {}) }));
  // The probe boots the image's kernel with a busybox initramfs: it needs no modules.
  const probe = await resolveAccel({ mode: o.accel ?? "auto", kernel: image.kernel, sink: o.sink });
  return {
    accel: probe.accel,
    qemuVersion: probe.qemuVersion,
    kernel,
    image: {
      id: image.id,
      rootfs: image.rootfs,
      sshKey: image.sshKey,
      hostKey: image.hostKey,
      // A kernel without initrd (built, or a bzImage) cannot read hangar.ip=: it configures eth0 itself (ip=).
      bootArgs: kernel.initrd ? image.bootArgs : [...image.bootArgs, ...builtKernelArgs(baseKernelArgs({}))],
    },
  };
}
