import { chmod, copyFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export const PROBE_MARKER = "HANGAR-ACCEL-PROBE-OK";

const BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];

/**
 * A tiny initramfs (busybox-static + an /init that prints a marker and powers off).
 * Used to prove an accelerator can boot a real kernel.
 */
export async function buildProbeInitramfs(outFile: string): Promise<string> {
  let busybox: string | undefined;
  for (const c of BUSYBOX_CANDIDATES) {
    if (await stat(c).then((s) => s.isFile(), () => false)) {
      busybox = c;
      break;
    }
  }
  if (!busybox) throw new Error("busybox not found (install busybox-static: hangar doctor --fix)");
  const root = await mkdtemp(join(tmpdir(), "hangar-probe-"));
  try {
    await mkdir(join(root, "bin"), { recursive: true });
    await copyFile(busybox, join(root, "bin", "busybox"));
    await chmod(join(root, "bin", "busybox"), 0o755);
    await writeFile(
      join(root, "init"),
      `#!/bin/busybox sh\n/bin/busybox mkdir -p /proc /dev\n/bin/busybox mount -t devtmpfs dev /dev\n/bin/busybox mount -t proc proc /proc\necho ${PROBE_MARKER} > /dev/ttyS0\n/bin/busybox poweroff -f\n`,
      { mode: 0o755 },
    );
    const { stdout } = await execa("find", [".", "-print0"], { cwd: root, timeout: 30_000 });
    await execa("cpio", ["--null", "-o", "-H", "newc", "--quiet", "-O", outFile], { cwd: root, input: stdout, timeout: 60_000 });
    return outFile;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
