import { describe, it, expect, afterEach } from "vitest";
import { mkdtemp, rm, writeFile, readdir, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kernelVersions, mountsBelow, moveIntoPlace } from "../../../harness/image/build.ts";

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "hangar-img-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("kernelVersions", () => {
  it("finds vmlinuz-* versions, newest first", () => {
    expect(kernelVersions(["config-6.1.0-9-cloud-amd64", "vmlinuz-6.1.0-9-cloud-amd64", "vmlinuz-6.1.0-10-cloud-amd64", "initrd.img-6.1.0-10-cloud-amd64"])).toEqual([
      "6.1.0-10-cloud-amd64",
      "6.1.0-9-cloud-amd64",
    ]);
    expect(kernelVersions(["System.map"])).toEqual([]);
  });
});

describe("mountsBelow", () => {
  const info = [
    "22 1 254:0 / / rw - ext4 /dev/vda rw",
    "90 22 0:5 / /cache/.build-x/root/proc rw - proc proc rw",
    "91 22 0:6 / /cache/.build-x/root/dev rw - devtmpfs udev rw",
    "92 91 0:7 / /cache/.build-x/root/dev/pts rw - devpts devpts rw",
    "93 22 0:8 / /cache/.build-xy/root/proc rw - proc proc rw",
    "94 22 0:9 / /cache/.build-x/with\\040space rw - tmpfs t rw",
  ].join("\n");
  it("lists mounts at or below a folder, deepest first, and decodes escapes", async () => {
    expect(await mountsBelow("/cache/.build-x", info)).toEqual([
      "/cache/.build-x/root/dev/pts",
      "/cache/.build-x/with space",
      "/cache/.build-x/root/proc",
      "/cache/.build-x/root/dev",
    ]);
    expect(await mountsBelow("/elsewhere", info)).toEqual([]);
  });
});

describe("moveIntoPlace", () => {
  it("replaces an existing folder and leaves nothing aside", async () => {
    const d = await tmp();
    await mkdir(join(d, "img"));
    await writeFile(join(d, "img", "old"), "1");
    await mkdir(join(d, "work"));
    await writeFile(join(d, "work", "new"), "2");
    await moveIntoPlace(join(d, "work"), join(d, "img"));
    expect(await readdir(d)).toEqual(["img"]);
    expect(await readdir(join(d, "img"))).toEqual(["new"]);
  });
});
