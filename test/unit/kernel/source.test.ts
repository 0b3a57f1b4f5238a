import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nullSink } from "../../../harness/common/index.ts";
import { BuildLog } from "../../../harness/common/build-log.ts";
import { resolveSource } from "../../../harness/kernel/source.ts";

// A tiny git "kernel tree": --git exports a revision, --source of the same clean tree has the same identity.
const hasGit = (await execa("git", ["--version"], { reject: false })).exitCode === 0;

describe.skipIf(!hasGit)("kernel sources from git and from a directory", () => {
  let dir: string;
  let repo: string;
  const git = (...args: string[]) => execa("git", ["-C", repo, ...args], { env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hangar-src-"));
    repo = join(dir, "linux");
    await mkdir(join(repo, "fs"), { recursive: true });
    await git("init", "-q");
    await writeFile(join(repo, "Kconfig"), "mainmenu \"t\"\n");
    await writeFile(join(repo, "fs", "a.c"), "int a;\n");
    await git("add", ".");
    await git("commit", "-qm", "one");
    await git("tag", "v1");
    await writeFile(join(repo, "fs", "a.c"), "int a, b;\n");
    await git("commit", "-qam", "two");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("--git DIR --rev REV: identity is the rev's tree, export leaves the work tree and index alone", async () => {
    const s = await resolveSource({ git: repo, rev: "v1" }, { sink: nullSink });
    const tree = (await git("rev-parse", "v1^{tree}")).stdout.trim();
    expect(s.identity).toBe(`git-tree:${tree}`);
    const dest = join(dir, "out", "src");
    await mkdir(dest, { recursive: true });
    const log = new BuildLog(join(dir, "log"));
    await s.export(dest, log);
    await log.close();
    expect(await readFile(join(dest, "fs", "a.c"), "utf8")).toBe("int a;\n");
    expect((await git("status", "--porcelain")).stdout).toBe("");
    expect(await readFile(join(repo, "fs", "a.c"), "utf8")).toBe("int a, b;\n");
  });

  it("--source of a clean git tree has the identity of --git HEAD; a dirty one a files hash", async () => {
    const head = await resolveSource({ git: repo, rev: "HEAD" }, { sink: nullSink });
    const clean = await resolveSource({ source: repo }, { sink: nullSink });
    expect(clean.identity).toBe(head.identity);
    await writeFile(join(repo, "fs", "new.c"), "int n;\n");
    const dirty = await resolveSource({ source: repo }, { sink: nullSink });
    expect(dirty.identity).toMatch(/^files:[0-9a-f]{64}$/);
    await rm(join(repo, "fs", "new.c"));
  });

  it("errors name what was expected", async () => {
    await expect(resolveSource({ git: repo, rev: "nope" }, { sink: nullSink })).rejects.toThrow(/--rev nope: no such commit/);
    await expect(resolveSource({ git: repo }, { sink: nullSink })).rejects.toThrow(/needs --rev/);
    await expect(resolveSource({ source: join(repo, "fs") }, { sink: nullSink })).rejects.toThrow(/no Kconfig at its top/);
  });
});
