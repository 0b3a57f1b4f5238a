/**
 * Tearing down an nfs-localio layer: the client mount, then the export, then the NFS server
 * (when no other export is left), so that the filesystem below can be unmounted ("target is
 * busy" otherwise). The script runs here in a real sh with recording stand-ins for the guest's
 * tools, which checks its order and its shell logic; the real guest run is the e2e test of
 * nfs-localio-xfs-enospc on a built kernel.
 */
import { afterAll, describe, expect, it } from "vitest";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { layerTeardownScript, type LayerOutput } from "../../../harness/guest/index.ts";
import type { Layer } from "../../../harness/config/index.ts";

const dir = await mkdtemp(join(tmpdir(), "hangar-teardown-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Run `script` with umount, exportfs, rm and systemctl recorded (exportfs lists `remaining` when asked). */
async function runRecorded(script: string, remaining: string): Promise<string[]> {
  const bin = join(dir, `bin-${Math.random().toString(36).slice(2)}`);
  const log = join(bin, "calls");
  await execa("mkdir", ["-p", bin]);
  for (const tool of ["umount", "exportfs", "rm", "systemctl"]) {
    const listing = tool === "exportfs" ? `[ $# -eq 0 ] && printf '%s' ${JSON.stringify(remaining)}\n` : "";
    await writeFile(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${JSON.stringify(log)}\n${listing}exit 0\n`);
    await chmod(join(bin, tool), 0o755);
  }
  await execa("sh", ["-eu", "-c", script], { env: { PATH: `${bin}:/usr/bin:/bin` }, timeout: 10_000 });
  return (await readFile(log, "utf8")).trim().split("\n");
}

const layer: Layer = { name: "nfs", on: "export", type: "nfs-localio", vers: "4.2", options: "" };
const out: LayerOutput = { mnt: "/mnt/hangar/nfs", facts: { export: "/mnt/hangar/export", localio: "in-use" } };

describe("nfs-localio teardown", () => {
  it("unmounts the client, releases the export, then stops the server", async () => {
    const calls = await runRecorded(layerTeardownScript(layer, out)!, "");
    expect(calls).toEqual([
      "umount /mnt/hangar/nfs",
      "exportfs -u 127.0.0.1:/mnt/hangar/export",
      "rm -f /etc/exports.d/hangar-nfs.exports",
      "exportfs -ra",
      "exportfs ",
      "systemctl stop nfs-server",
      "exportfs -f",
    ]);
  });

  it("leaves the server running while another export is still there", async () => {
    const calls = await runRecorded(layerTeardownScript(layer, out)!, "/mnt/hangar/other\t127.0.0.1(rw)");
    expect(calls).not.toContain("systemctl stop nfs-server");
    expect(calls.slice(0, 2)).toEqual(["umount /mnt/hangar/nfs", "exportfs -u 127.0.0.1:/mnt/hangar/export"]);
  });
});
