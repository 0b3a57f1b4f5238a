import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kernelId, sha256 } from "../../../harness/kernel/cache-key.ts";
import { ID_PATTERN } from "../../../harness/kernel/layout.ts";
import { moduleSourceHash } from "../../../harness/kernel/modules.ts";
import { debianTreeName, statTreeHash } from "../../../harness/kernel/source.ts";
import { patchedPaths } from "../../../harness/kernel/patch.ts";

const base = { source: "debian:linux-source-6.12=6.12.117-1~deb12u1", patches: [] as string[], config: sha256("CONFIG_A=y\n") };

describe("kernelId", () => {
  it("is 12 hex digits and stable", () => {
    const id = kernelId(base);
    expect(id).toMatch(ID_PATTERN);
    expect(kernelId({ ...base })).toBe(id);
  });

  it("changes with the source, the patches (and their order) and the config", () => {
    const id = kernelId(base);
    const p1 = sha256("patch one");
    const p2 = sha256("patch two");
    const ids = [
      id,
      kernelId({ ...base, source: "git-tree:0123" }),
      kernelId({ ...base, patches: [p1] }),
      kernelId({ ...base, patches: [p1, p2] }),
      kernelId({ ...base, patches: [p2, p1] }),
      kernelId({ ...base, config: sha256("CONFIG_A=n\n") }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("source identities", () => {
  it("names the unpacked Debian tree without path-unsafe characters", () => {
    expect(debianTreeName("6.12.117-1~deb12u1")).toBe("linux-source-6.12_6.12.117-1_deb12u1");
  });

  it("a tree's stat hash sees added files and size changes, not .git", async () => {
    const d = await mkdtemp(join(tmpdir(), "hangar-tree-"));
    try {
      await mkdir(join(d, "fs"));
      await writeFile(join(d, "fs", "a.c"), "int a;\n");
      const h1 = await statTreeHash(d);
      await mkdir(join(d, ".git"));
      await writeFile(join(d, ".git", "HEAD"), "ref: x\n");
      expect(await statTreeHash(d)).toBe(h1);
      await writeFile(join(d, "fs", "a.c"), "int a, b;\n");
      const h2 = await statTreeHash(d);
      expect(h2).not.toBe(h1);
      await writeFile(join(d, "b.c"), "");
      expect(await statTreeHash(d)).not.toBe(h2);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it("a module's source hash ignores build products", async () => {
    const d = await mkdtemp(join(tmpdir(), "hangar-mod-"));
    try {
      await writeFile(join(d, "Kbuild"), "obj-m := m.o\n");
      await writeFile(join(d, "m.c"), "int x;\n");
      const h = await moduleSourceHash(d);
      for (const f of ["m.o", "m.ko", "m.mod", "m.mod.c", ".m.o.cmd", "Module.symvers", "modules.order"]) await writeFile(join(d, f), "junk");
      expect(await moduleSourceHash(d)).toBe(h);
      await writeFile(join(d, "m.c"), "int y;\n");
      expect(await moduleSourceHash(d)).not.toBe(h);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe("patchedPaths", () => {
  it("lists the files a -p1 patch touches, ignoring /dev/null and header text", () => {
    const text = [
      "Subject: a header",
      "",
      "diff --git a/fs/nfs/localio.c b/fs/nfs/localio.c",
      "--- a/fs/nfs/localio.c\t2024-01-01",
      "+++ b/fs/nfs/localio.c",
      "@@ -1 +1 @@",
      "--- a/new.c",
      "--- /dev/null",
      "+++ b/fs/new.c",
      "--- a/../escape.c",
    ].join("\n");
    expect(patchedPaths(text)).toEqual(["fs/new.c", "fs/nfs/localio.c", "new.c"]);
  });
});
