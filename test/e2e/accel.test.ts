import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nullSink } from "../../harness/common/index.ts";
import { ensureImage } from "../../harness/image/index.ts";
import { probeBoot, resolveAccel } from "../../harness/vm/index.ts";
import { buildProbeInitramfs } from "../../harness/vm/probe-initramfs.ts";
import { tempDir } from "./setup.ts";

describe("accelerator probe (real boots)", () => {
  it("boots the image kernel with the busybox probe initramfs under TCG in seconds", async () => {
    const image = await ensureImage({ sink: nullSink });
    const initramfs = await buildProbeInitramfs(join(await tempDir("hangar-t-"), "probe.cpio"));
    const r = await probeBoot("tcg", image.kernel, initramfs, 120_000);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
  }, 20 * 60_000);

  it("decides with a real boot: KVM only if it really boots, otherwise TCG with the reason", async () => {
    const image = await ensureImage({ sink: nullSink });
    const p = await resolveAccel({ mode: "auto", kernel: image.kernel, sink: nullSink, refresh: true });
    if (p.accel === "kvm") {
      expect(p.kvmError).toBeUndefined();
    } else {
      expect(p.accel).toBe("tcg");
      expect(p.kvmError).toBeTruthy();
      expect(p.tcgBootMs).toBeGreaterThan(0);
      // On these machines /dev/kvm exists but cannot boot a stock kernel: the probe must say so, not hang.
      if (existsSync("/dev/kvm")) expect(p.kvmBootMs).toBeLessThan(60_000);
    }
    // An explicit choice skips the probe.
    expect((await resolveAccel({ mode: "tcg", kernel: image.kernel, sink: nullSink })).accel).toBe("tcg");
  }, 20 * 60_000);
});
