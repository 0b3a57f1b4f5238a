/**
 * Small real git repositories for the bisect tests (made with the real `git` in a temp dir),
 * and a simulated commit tester that reads each commit's tree with real git: a commit is bad
 * when its tree has the file `bug` (or both `half-a` and `half-b`), does not build when it has
 * `broken`, and its "kernel" hash ignores `docs/`, so a docs-only commit is a noop.
 * Hits are a deterministic function of (commit, attempt), and commit hashes are fixed (fixed
 * dates): every test run sees the same runs, and a resumed bisect the runs an uninterrupted one sees.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile, rm } from "node:fs/promises";
import { join, dirname } from "node:path";
import { execa } from "execa";
import type { BuildOutcome, CommitTester, RunOutcome } from "../../../harness/bisect/index.ts";

/** Fixed dates: the same commits get the same hashes on every run, so the seeded dice give the same runs. */
const FIXED_DATES = { GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z" };

export async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execa("git", ["-C", dir, ...args], { timeout: 30_000, env: { GIT_AUTHOR_NAME: "Test Author", GIT_AUTHOR_EMAIL: "author@example.org", GIT_COMMITTER_NAME: "Test", GIT_COMMITTER_EMAIL: "t@example.org", ...FIXED_DATES } });
  return String(r.stdout).trim();
}

export async function initRepo(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "config", "commit.gpgsign", "false");
}

/** Commit after writing (string) or deleting (null) files; returns the commit hash. */
export async function commit(dir: string, subject: string, files: Record<string, string | null>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const p = join(dir, path);
    if (content === null) await git(dir, "rm", "-q", path);
    else {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
      await git(dir, "add", path);
    }
  }
  await git(dir, "commit", "-q", "--allow-empty", "-m", subject);
  return git(dir, "rev-parse", "HEAD");
}

export async function removeRepo(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A number in [0, 1) from a string: the tester's deterministic dice. */
export function dice(...parts: (string | number)[]): number {
  return createHash("sha256").update(parts.join("\0")).digest().readUInt32BE(0) / 2 ** 32;
}

export interface SimTesterOptions {
  /** Chance per run that a bad commit shows the target signature. */
  p: number;
  /** Chance per run of an unrelated report (any commit). */
  noise?: number;
  /** Name of the expected signature a hit matches (default "target"). */
  signature?: string;
  /** Another expected signature, shown on good and bad commits alike with this chance (never the target). */
  otherSignature?: { name: string; rate: number };
  /** Chance per run of an infrastructure failure. */
  infra?: number;
  seed?: string;
}

export interface SimTester extends CommitTester {
  builds: string[];
  runs: { sha: string; attempt: number }[];
}

export function simTester(repo: string, o: SimTesterOptions): SimTester {
  const trees = new Map<string, Promise<string[]>>();
  const files = (sha: string) => {
    let f = trees.get(sha);
    if (!f) trees.set(sha, (f = git(repo, "ls-tree", "-r", sha).then((o) => o.split("\n").filter(Boolean))));
    return f;
  };
  const name = (l: string) => l.slice(l.indexOf("\t") + 1);
  const t: SimTester = {
    builds: [],
    runs: [],
    async build(sha): Promise<BuildOutcome> {
      t.builds.push(sha);
      const ls = await files(sha);
      if (ls.some((l) => name(l) === "broken")) return { ok: false, reason: "error: broken: No such file or directory (make)" };
      const image = createHash("sha256").update(ls.filter((l) => !name(l).startsWith("docs/")).join("\n")).digest("hex");
      return { ok: true, kernelId: image.slice(0, 12), imageHash: image };
    },
    async run(sha, attempt): Promise<RunOutcome> {
      t.runs.push({ sha, attempt });
      const names = new Set((await files(sha)).map(name));
      const bad = names.has("bug") || (names.has("half-a") && names.has("half-b"));
      const seed = o.seed ?? "";
      if (o.infra && dice(seed, "infra", sha, attempt) < o.infra) return { status: "infra", reason: "ssh: no answer within 180 s", matched: [], other: [] };
      const matched: string[] = [];
      if (bad && dice(seed, "hit", sha, attempt) < o.p) matched.push(o.signature ?? "target");
      if (o.otherSignature && dice(seed, "other-sig", sha, attempt) < o.otherSignature.rate) matched.push(o.otherSignature.name);
      const other = o.noise && dice(seed, "noise", sha, attempt) < o.noise ? ["WARNING in unrelated_debug_check"] : [];
      return { status: "ran", matched, other, dir: `/results/${sha.slice(0, 12)}/attempt-${attempt}` };
    },
  };
  return t;
}
