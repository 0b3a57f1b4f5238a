import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileWriteError, writeFileAtomic, writeJsonAtomic } from "../../../harness/common/files.ts";
import { BuildLog } from "../../../harness/common/build-log.ts";
import { exitCodeOf } from "../../../harness/common/errors.ts";
import { isRoot, tmpfs } from "./tmpfs.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("writeFileAtomic / writeJsonAtomic", () => {
  it("replaces a file whole, with the mode asked for, and leaves no temp file", async () => {
    const d = await mkdtemp(join(tmpdir(), "hangar-files-"));
    cleanups.push(() => rm(d, { recursive: true, force: true }));
    const p = join(d, "sub", "a.json");
    await writeJsonAtomic(p, { a: 1 });
    await writeJsonAtomic(p, { a: 2 }, { mode: 0o600 });
    expect(JSON.parse(await readFile(p, "utf8"))).toEqual({ a: 2 });
    expect((await stat(p)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(p, new Uint8Array([104, 105]));
    expect(await readFile(p, "utf8")).toBe("hi");
    expect(await readdir(join(d, "sub"))).toEqual(["a.json"]);
  });

  it.skipIf(!isRoot)("on a full disk: an error naming the path, the old file intact, no temp file", async () => {
    const fs = await tmpfs("size=64k");
    cleanups.push(() => fs.done());
    const p = join(fs.dir, "summary.json");
    await writeJsonAtomic(p, { old: true });
    const err = await writeJsonAtomic(p, { big: "x".repeat(200_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileWriteError);
    expect((err as Error).message).toMatch(/summary\.json.*ENOSPC/);
    expect(exitCodeOf(err)).toBe(3);
    // write-file-atomic alone renames a truncated file over the old one here (one short write).
    expect(JSON.parse(await readFile(p, "utf8"))).toEqual({ old: true });
    expect(await readdir(fs.dir)).toEqual(["summary.json"]);
  });

  it.skipIf(!isRoot)("in a read-only folder: an error naming the path", async () => {
    const fs = await tmpfs("size=64k");
    cleanups.push(() => fs.done());
    await writeFile(join(fs.dir, "a.json"), "{}");
    await fs.readOnly();
    const err = await writeJsonAtomic(join(fs.dir, "a.json"), { a: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileWriteError);
    expect((err as FileWriteError).code).toBe("EROFS");
    expect((err as Error).message).toContain(join(fs.dir, "a.json"));
  });
});

describe("BuildLog", () => {
  it.skipIf(!isRoot)("a full disk never crashes the process: writing stops, the error is in `failed`, the tail is kept", async () => {
    const fs = await tmpfs("size=64k");
    cleanups.push(() => fs.done());
    const log = new BuildLog(join(fs.dir, "build.log"));
    for (let i = 0; i < 5000; i++) log.line(`line ${i} ${"x".repeat(60)}`);
    await log.close();
    expect(log.failed).toBeInstanceOf(FileWriteError);
    expect(log.failed!.message).toMatch(/build\.log.*ENOSPC/);
    expect(log.tail(1)).toMatch(/^line 4999 /);
    log.line("after close"); // no throw, no crash
  });

  it("a log in a folder that does not exist: `failed`, not a crash", async () => {
    const log = new BuildLog(join(tmpdir(), "hangar-no-such-dir-" + process.pid, "build.log"));
    log.line("a");
    await log.close();
    expect(log.failed?.code).toBe("ENOENT");
  });

  it("writes every line when it can", async () => {
    const d = await mkdtemp(join(tmpdir(), "hangar-files-"));
    cleanups.push(() => rm(d, { recursive: true, force: true }));
    const log = new BuildLog(join(d, "build.log"));
    log.line("one");
    log.line("two");
    await log.close();
    expect(log.failed).toBeUndefined();
    expect(await readFile(join(d, "build.log"), "utf8")).toBe("one\ntwo\n");
  });
});
