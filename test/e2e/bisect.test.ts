/**
 * The real demonstration of `hangar bisect` (opt-in: it builds several kernels; HANGAR_E2E_BISECT=1).
 *
 * A git repository is made from Debian's linux-source-6.12 with 20 commits on top of the
 * release: harmless edits spread over the tree, commit 10 breaking the build (commit 11 fixes it;
 * 10 is the search's first midpoint, so the bisect must build it, see it fail, skip it and test a
 * neighbour instead), and commit 13 applying vm-images/patches/nfs-localio-writes-on-nfsiod.patch
 * (report 004's known-bad change). `hangar bisect` runs as a user would run it, with the
 * nfs-localio-xfs-enospc scenario at a quarter of its workload time, and must name commit 13.
 * The wall time, builds and runs are printed (and kept in the bisect's results folder).
 *
 * The repository (about 1.6 GB) goes under $HANGAR_CACHE/e2e-bisect and is removed at the end
 * (HANGAR_E2E_BISECT_KEEP=1 keeps it and the results for a look).
 */
import { mkdir, readFile, rm, writeFile, appendFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { cacheDir, repoRoot } from "../../harness/common/index.ts";
import { ensureKernelBuildHost } from "../../harness/cli/host-requirements.ts";
import type { BisectReport } from "../../harness/bisect/index.ts";

const ON = !!process.env.HANGAR_E2E_BISECT;
const work = join(cacheDir(), "e2e-bisect");
const repo = join(work, "linux");
const results = join(work, "results");
const PATCH = join(repoRoot, "vm-images", "patches", "nfs-localio-writes-on-nfsiod.patch");
const HOURS = 60 * 60_000;

async function git(...args: string[]): Promise<string> {
  const r = await execa("git", ["-C", repo, ...args], {
    timeout: 30 * 60_000,
    env: { GIT_AUTHOR_NAME: "hangar e2e", GIT_AUTHOR_EMAIL: "e2e@hangar.invalid", GIT_COMMITTER_NAME: "hangar e2e", GIT_COMMITTER_EMAIL: "e2e@hangar.invalid" },
  });
  return String(r.stdout).trim();
}

/** Harmless edits, spread over the tree: a comment line appended to files in many subsystems. */
const HARMLESS = [
  "mm/vmscan.c",
  "fs/xfs/xfs_super.c",
  "Documentation/filesystems/nfs/localio.rst",
  "kernel/workqueue.c",
  "fs/ext4/inode.c",
  "drivers/block/loop.c",
  "fs/btrfs/inode.c",
  "net/sunrpc/sched.c",
  "fs/nfsd/vfs.c",
  "lib/string.c",
  "fs/nfs/write.c",
  "mm/page_alloc.c",
  "fs/xfs/xfs_icache.c",
  "kernel/hung_task.c",
  "fs/iomap/buffered-io.c",
  "block/blk-core.c",
  "fs/nfs/inode.c",
];

afterAll(async () => {
  if (ON && !process.env.HANGAR_E2E_BISECT_KEEP) await rm(work, { recursive: true, force: true });
});

describe.skipIf(!ON)("hangar bisect on a real kernel history (HANGAR_E2E_BISECT=1)", () => {
  it(
    "names the commit that applies the report-004 patch, skipping the commit that does not build",
    async () => {
      const missing = await ensureKernelBuildHost({ debianSource: true, git: true }, (l) => process.stderr.write(`[e2e bisect] install: ${l}\n`));
      expect(missing).toEqual([]);
      await rm(work, { recursive: true, force: true });
      await mkdir(repo, { recursive: true });
      const t0 = Date.now();
      await execa("tar", ["-xf", "/usr/src/linux-source-6.12.tar.xz", "-C", repo, "--strip-components=1"], { timeout: 30 * 60_000 });
      await git("init", "-q", "-b", "main");
      await git("config", "commit.gpgsign", "false");
      // Debian's tarball carries a .gitignore that ignores everything at the top ("/*"): force.
      await git("add", "-A", "-f");
      await git("commit", "-q", "-m", "Debian linux-source-6.12 (the good release)");
      const good = await git("rev-parse", "HEAD");
      const subjects: string[] = [];
      let culprit = "";
      let broken = "";
      let h = 0;
      for (let i = 1; i <= 20; i++) {
        if (i === 13) {
          await execa("git", ["-C", repo, "apply", "-p1", PATCH], { timeout: 60_000 });
          subjects.push("nfs: localio writes on nfsiod again (report 004)");
        } else if (i === 10) {
          await appendFile(join(repo, "fs/nfs/localio.c"), "\nthis does not compile;\n");
          subjects.push("nfs: an edit that breaks the build");
        } else if (i === 11) {
          const f = join(repo, "fs/nfs/localio.c");
          await writeFile(f, (await readFile(f, "utf8")).replace("\nthis does not compile;\n", ""));
          subjects.push("nfs: fix the build");
        } else {
          const file = HARMLESS[h++ % HARMLESS.length]!;
          const comment = file.endsWith(".rst") ? `\n.. hangar e2e edit ${i}\n` : `\n/* hangar e2e: harmless edit ${i} */\n`;
          await appendFile(join(repo, file), comment);
          subjects.push(`${file.split("/").slice(0, 2).join("/")}: harmless edit ${i}`);
        }
        await git("commit", "-q", "-a", "-m", subjects.at(-1)!);
        if (i === 13) culprit = await git("rev-parse", "HEAD");
        if (i === 10) broken = await git("rev-parse", "HEAD");
      }
      const bad = await git("rev-parse", "HEAD");
      const setupMs = Date.now() - t0;

      const t1 = Date.now();
      const r = await execa(
        "npx",
        ["tsx", "harness/cli/main.ts", "bisect", "--git", repo, "--good", good, "--bad", bad, "--time-factor", "0.25", "--results", results, "--json", join(repoRoot, "workloads", "nfs-localio-xfs-enospc.yaml")],
        { cwd: repoRoot, reject: false, timeout: 12 * HOURS, stderr: "inherit" },
      );
      const wallMs = Date.now() - t1;
      const report = JSON.parse(String(r.stdout)) as BisectReport;
      process.stderr.write(
        `[e2e bisect] repository: ${Math.round(setupMs / 1000)} s; bisect: ${Math.round(wallMs / 60_000)} min, ${report.cost.builds} builds (${report.cost.failedBuilds} failed), ` +
          `${report.cost.runs} runs, ${report.cost.infraRuns} infra; p ${report.p.hits}/${report.p.runs}; culprit ${report.culprit?.sha ?? "none"} (${report.confidence}); policy ${report.policy}\n`,
      );
      expect(r.exitCode, report.message).toBe(0);
      expect(report.culprit?.sha).toBe(culprit);
      expect(report.culprit?.subject).toBe("nfs: localio writes on nfsiod again (report 004)");
      expect(report.signature).toBe("localio-write-flushes-xfs-sync-from-reclaim-workqueue");
      // The patch changes the kernel: not a noop, even when it takes over the runs of a later, identical bad kernel.
      expect(report.culprit?.noop).toBe(false);
      // The first midpoint does not build: tested, failed to build, skipped.
      expect(report.commits.find((c) => c.sha === broken)?.verdict).toBe("skip");
      expect(report.cost.failedBuilds).toBe(1);
      expect(report.commits.filter((c) => c.verdict === "bad" || c.verdict === "culprit").every((c) => c.hits > 0)).toBe(true);
      expect(report.matchingRun?.dir).toBeTruthy();
      expect(await readFile(join(report.matchingRun!.dir, "console.log"), "utf8")).toMatch(/is flushing !WQ_MEM_RECLAIM xfs-sync/);
      // The user's checkout was never touched: still at the bad commit, nothing modified.
      expect(await git("rev-parse", "HEAD")).toBe(bad);
      expect(await git("status", "--porcelain")).toBe("");
    },
    12 * HOURS,
  );
});
