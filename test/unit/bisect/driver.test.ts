/**
 * The driver on real git repositories (made here with real git, removed afterwards) and a
 * simulated tester: first-parent line, descent into a merge, a merge that is itself the
 * culprit, a commit that does not build, a noop commit, noise and another signature that are
 * not hits, ledger resume after an interruption, and `git bisect replay` of the written log.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nullSink, UserInputError } from "../../../harness/common/index.ts";
import { DEFAULT_POLICY_OPTIONS, GitRepo, buildReport, readLedger, reportText, runBisect, type BisectInputs, type CommitTester, type UserPolicyName } from "../../../harness/bisect/index.ts";
import { Book } from "../../../harness/bisect/book.ts";
import { commit, git, initRepo, simTester } from "./git-fixture.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hangar-bisect-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Linear {
  dir: string;
  shas: string[];
  culprit: string;
  broken: string;
}

/** 40 commits on one line: the bug comes in at 23, commit 10 does not build (11 fixes it), commit 30 only touches docs. */
async function linearRepo(name: string): Promise<Linear> {
  const dir = join(root, name);
  await initRepo(dir);
  const shas: string[] = [];
  for (let i = 0; i < 40; i++) {
    const files: Record<string, string | null> = { [`fs/file${i % 7}.c`]: `int v${i} = ${i};\n` };
    if (i === 23) files.bug = "deadlock\n";
    if (i === 10) files.broken = "x\n";
    if (i === 11) files.broken = null;
    if (i === 30) {
      delete files[`fs/file${i % 7}.c`];
      files["docs/notes.txt"] = "only docs\n";
    }
    shas.push(await commit(dir, `commit ${i}${i === 23 ? ": take the lock in the wrong order" : ""}`, files));
  }
  return { dir, shas, culprit: shas[23]!, broken: shas[10]! };
}

function inputs(repo: string, good: string, bad: string, over: Partial<BisectInputs> = {}): BisectInputs {
  return { git: repo, good, bad, scenario: "sim", policy: "auto", confidence: 0.95, patches: [], fragments: [], ...over };
}

async function bisect(o: { repo: string; good: string; bad: string; tester: CommitTester; policy?: UserPolicyName; results: string; resume?: boolean; signal?: AbortSignal; signature?: string; jobs?: number }) {
  const gitRepo = new GitRepo(o.repo);
  const inp = inputs(o.repo, o.good, o.bad, { policy: o.policy ?? "auto", ...(o.signature ? { signature: o.signature } : {}) });
  return runBisect({
    repo: gitRepo,
    inputs: inp,
    id: "bisect-sim",
    dir: o.results,
    policy: o.policy ?? "auto",
    policyOptions: { ...DEFAULT_POLICY_OPTIONS, jobs: o.jobs ?? 1 },
    tester: o.tester,
    resume: !!o.resume,
    sink: nullSink,
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/** A book replayed from hand-written ledger events over the commits `c` (line 0), for the report's noop rules. */
function handBook(dir: string, c: string[], id: string) {
  const book = new Book();
  const at = "2026-01-01T00:00:00.000Z";
  book.apply({ type: "start", format: 1, at, id, inputs: inputs(dir, c[0]!, c.at(-1)!, { signature: "target" }) });
  book.apply({ type: "line", at, level: 0, commits: c });
  return {
    book,
    build: (sha: string, imageHash: string) => book.apply({ type: "build", at, sha, ok: true, imageHash, durationMs: 1 }),
    run: (sha: string, attempt: number, hit: boolean) =>
      book.apply({ type: "run", at, sha, attempt, status: "ran", matched: hit ? ["target"] : [], other: [], durationMs: 1, dir: `/r/${attempt}` }),
    inherit: (sha: string, from: string, runs: number) => book.apply({ type: "inherit", at, sha, from, runs }),
  };
}

describe("bisect driver on a real git line", { timeout: 120_000 }, () => {
  let L: Linear;
  beforeAll(async () => {
    L = await linearRepo("linear");
  });

  for (const policy of ["repeat", "bayes"] as const) {
    it(`${policy}: names the commit that added the bug, skips the commit that does not build, ignores noise`, async () => {
      const t = simTester(L.dir, { p: 0.5, noise: 0.2, seed: policy });
      const out = await bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: t, policy, results: join(root, `r-${policy}`) });
      expect(out.decision.kind).toBe("culprit");
      expect(out.culprit).toBe(L.culprit);
      expect(out.confidence).toBeGreaterThanOrEqual(0.9);
      // Noise reports were recorded but made no commit before the culprit bad.
      const before = L.shas.slice(0, 23);
      for (const s of before) expect(out.book.counts(s).hits).toBe(0);
      expect(before.some((s) => out.book.counts(s).noise > 0)).toBe(true);
      const report = await buildReport(out, new GitRepo(L.dir), { scenario: "sim", policy, wallMs: 1 });
      expect(report.culprit?.subject).toBe("commit 23: take the lock in the wrong order");
      expect(report.culprit?.author).toBe("Test Author <author@example.org>");
      expect(report.exitCode).toBe(0);
      const text = reportText(report);
      expect(text).toContain(`CULPRIT ${L.culprit}`);
      expect(text).toMatch(/cost \d+ run\(s\), \d+ kernel build\(s\)/);
    });
  }

  it("a commit that does not build is a skip, never a verdict; a culprit next to it is a range", async () => {
    // Bug at 11, right after the broken commit 10: 10 cannot be tested, so 10 and 11 cannot be told apart.
    const dir = join(root, "broken-next");
    await initRepo(dir);
    const shas: string[] = [];
    for (let i = 0; i < 16; i++) shas.push(await commit(dir, `c${i}`, { ...(i === 10 ? { broken: "x" } : {}), ...(i === 11 ? { broken: null, bug: "y" } : {}), [`f${i}`]: "z" }));
    const t = simTester(dir, { p: 0.9, seed: "range" });
    const out = await bisect({ repo: dir, good: shas[0]!, bad: shas[15]!, tester: t, policy: "repeat", results: join(root, "r-range") });
    expect(out.decision.kind).toBe("range");
    expect(out.range).toEqual([shas[10], shas[11]]);
    expect(out.book.counts(shas[10]!).untestable).toMatch(/build failed/);
    const report = await buildReport(out, new GitRepo(dir), { scenario: "sim", policy: "repeat", wallMs: 1 });
    expect(report.exitCode).toBe(1);
    expect(report.commits.find((c) => c.sha === shas[10])?.verdict).toBe("skip");
    expect(await readFile(out.bisectLog, "utf8")).toContain(`git bisect skip ${shas[10]}`);
  });

  it("a noop commit (byte-identical kernel to a tested neighbour) inherits the neighbour's runs", async () => {
    // c0 good, c1 only touches docs (same kernel as c0), c2 brings the bug, c3, c4.
    const dir = join(root, "noop");
    await initRepo(dir);
    const c = [
      await commit(dir, "c0", { "core.c": "0" }),
      await commit(dir, "c1: docs only", { "docs/README": "words" }),
      await commit(dir, "c2: the bug", { bug: "x" }),
      await commit(dir, "c3", { "core.c": "3" }),
      await commit(dir, "c4", { "core.c": "4" }),
    ];
    const t = simTester(dir, { p: 0.7, seed: "noop" });
    const out = await bisect({ repo: dir, good: c[0]!, bad: c[4]!, tester: t, policy: "repeat", results: join(root, "r-noop") });
    expect(out.culprit).toBe(c[2]);
    const inherits = (await readLedger(out.ledger)).filter((e) => e.type === "inherit");
    expect(inherits).toEqual([expect.objectContaining({ sha: c[1], from: c[0], runs: out.book.records.get(c[0]!)!.runs.length })]);
    // c1 was built but never run on its own beyond what repeat asked on top of c0's runs.
    const c1 = out.book.records.get(c[1]!)!;
    expect(c1.build?.imageHash).toBe(out.book.records.get(c[0]!)!.build?.imageHash);
    expect(out.book.counts(c[1]!).runs).toBeGreaterThanOrEqual(c1.inherited.length);
    const report = await buildReport(out, new GitRepo(dir), { scenario: "sim", policy: "repeat", wallMs: 1 });
    expect(report.commits.find((r) => r.sha === c[1])?.noopOf).toBe(c[0]);
    expect(report.culprit?.noop).toBe(false);
  });

  it("a culprit whose kernel is byte-identical to its parent's is flagged as a noop", async () => {
    const dir = join(root, "noop-culprit");
    await initRepo(dir);
    const c = [await commit(dir, "c0", { "core.c": "0" }), await commit(dir, "c1: docs only", { "docs/README": "w" }), await commit(dir, "c2", { "core.c": "2" })];
    // The ledger of a flaky case: c0 ran clean, c1 (same kernel) took its runs over, then hit on a run of its own.
    const { book, build, run, inherit } = handBook(dir, c, "bisect-noop");
    build(c[0]!, "H");
    for (let a = 1; a <= 3; a++) run(c[0]!, a, false);
    build(c[1]!, "H");
    inherit(c[1]!, c[0]!, 3);
    run(c[1]!, 1, true);
    expect(book.counts(c[1]!)).toMatchObject({ runs: 4, hits: 1 });
    const decision = { kind: "culprit" as const, index: 1, confidence: 0.97 };
    const report = await buildReport({ book, decision, line: book.lines[0]!, culprit: c[1]!, confidence: 0.97, ledger: "/l", bisectLog: "/b" }, new GitRepo(dir), { scenario: "sim", policy: "repeat", wallMs: 1 });
    expect(report.culprit?.noop).toBe(true);
    expect(report.culprit?.warnings.join(" ")).toMatch(/byte-identical to its parent/);
  });

  it("a culprit that took over the runs of a bad twin after it (the same kernel further up) is not a noop", async () => {
    // The real bisect's case: harmless edits after the bug build the bug's kernel, and the culprit, built after
    // one of them, inherits its runs. Its parent built another kernel, so it is not a noop.
    const dir = join(root, "twin-after");
    await initRepo(dir);
    const c = [await commit(dir, "c0", { "core.c": "0" }), await commit(dir, "c1: the bug", { bug: "x" }), await commit(dir, "c2: docs only", { "docs/README": "w" })];
    const { book, build, run, inherit } = handBook(dir, c, "bisect-twin");
    build(c[2]!, "BAD");
    for (let a = 1; a <= 2; a++) run(c[2]!, a, true);
    build(c[0]!, "GOOD");
    for (let a = 1; a <= 3; a++) run(c[0]!, a, false);
    build(c[1]!, "BAD");
    inherit(c[1]!, c[2]!, 2);
    const decision = { kind: "culprit" as const, index: 1, confidence: 0.97 };
    const report = await buildReport({ book, decision, line: book.lines[0]!, culprit: c[1]!, confidence: 0.97, ledger: "/l", bisectLog: "/b" }, new GitRepo(dir), { scenario: "sim", policy: "repeat", wallMs: 1 });
    expect(report.commits.find((r) => r.sha === c[1])?.noopOf).toBe(c[2]);
    expect(report.culprit?.noop).toBe(false);
    expect(report.culprit?.warnings).toEqual([]);
  });

  it("the ledger resumes an interrupted bisect: same culprit, no run lost or repeated", async () => {
    const full = simTester(L.dir, { p: 0.4, seed: "resume" });
    const ref = await bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: full, policy: "bayes", results: join(root, "r-ref") });

    const results = join(root, "r-interrupted");
    const ac = new AbortController();
    const first = simTester(L.dir, { p: 0.4, seed: "resume" });
    const run0 = first.run.bind(first);
    first.run = async (sha, attempt, signal) => {
      const r = await run0(sha, attempt, signal);
      if (first.runs.length === 9) ac.abort();
      return r;
    };
    await expect(bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: first, policy: "bayes", results, signal: ac.signal })).rejects.toThrow();
    const partial = (await readLedger(join(results, "ledger.jsonl"))).filter((e) => e.type === "run").length;
    expect(partial).toBe(8); // the 9th finished as Ctrl-C came: not recorded, so run again on resume

    // Without --resume an existing ledger is an error that says what to do.
    await expect(bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: first, policy: "bayes", results })).rejects.toThrow(/add --resume/);
    // A resume with other inputs names the field.
    await expect(bisect({ repo: L.dir, good: L.shas[1]!, bad: L.shas[39]!, tester: first, policy: "bayes", results, resume: true })).rejects.toThrow(UserInputError);

    const second = simTester(L.dir, { p: 0.4, seed: "resume" });
    const out = await bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: second, policy: "bayes", results, resume: true });
    expect(out.culprit).toBe(ref.culprit);
    expect(out.culprit).toBe(L.culprit);
    const runs = (await readLedger(out.ledger)).filter((e) => e.type === "run").length;
    expect(runs).toBe(full.runs.length);
    expect(partial + second.runs.length).toBe(full.runs.length);
    // Builds already in the ledger are not asked for again.
    expect(second.builds.filter((s) => first.builds.includes(s))).toEqual([]);
  });

  it("writes a git bisect log that `git bisect replay` accepts and that names the same first bad commit", async () => {
    const t = simTester(L.dir, { p: 0.9, seed: "replay" });
    const out = await bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: t, policy: "repeat", results: join(root, "r-replay") });
    const log = await readFile(out.bisectLog, "utf8");
    expect(log.split("\n")[0]).toBe("git bisect start");
    expect(log).toContain(`git bisect bad ${L.shas[39]}`);
    expect(log).toContain(`git bisect good ${L.shas[0]}`);
    expect(log).toContain(`# first bad commit: [${L.culprit}]`);
    const clone = join(root, "replay-clone");
    await git(root, "clone", "-q", L.dir, clone);
    const replay = await git(clone, "bisect", "replay", out.bisectLog);
    expect(replay, log).toContain(`${L.culprit} is the first bad commit`);
  });

  it("another expected signature and unrelated reports are noise when --signature picks the target", async () => {
    const t = simTester(L.dir, { p: 0.6, seed: "sig", signature: "lock-cycle", otherSignature: { name: "rcu-stall", rate: 0.3 }, noise: 0.1 });
    const out = await bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: t, policy: "repeat", results: join(root, "r-sig"), signature: "lock-cycle" });
    expect(out.book.target).toBe("lock-cycle");
    expect(out.culprit).toBe(L.culprit);
    // Commits before the culprit showed the other signature, and were still good.
    const early = L.shas.slice(0, 23).map((s) => out.book.counts(s));
    expect(early.some((c) => c.noise > 0)).toBe(true);
    expect(early.every((c) => c.hits === 0)).toBe(true);
  });

  it("the bad endpoint that never reproduces stops the bisect with a clear decision", async () => {
    const t = simTester(L.dir, { p: 0.5, seed: "clean" });
    const out = await bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[20]!, tester: t, policy: "bayes", results: join(root, "r-clean") });
    expect(out.decision).toEqual({ kind: "bad-endpoint-clean", runs: DEFAULT_POLICY_OPTIONS.calibrationRuns });
    const report = await buildReport(out, new GitRepo(L.dir), { scenario: "sim", policy: "bayes", wallMs: 1 });
    expect(report.exitCode).toBe(1);
    expect(report.message).toMatch(/bad endpoint never showed/);
  });

  it("the good endpoint that reproduces stops the bisect", async () => {
    const t = simTester(L.dir, { p: 0.5, seed: "good-bad" });
    const out = await bisect({ repo: L.dir, good: L.shas[25]!, bad: L.shas[39]!, tester: t, policy: "repeat", results: join(root, "r-goodbad") });
    expect(out.decision.kind).toBe("good-endpoint-reproduces");
  });

  it("runs several attempts of one commit at once (-j 2)", async () => {
    const t = simTester(L.dir, { p: 0.5, seed: "jobs" });
    const out = await bisect({ repo: L.dir, good: L.shas[0]!, bad: L.shas[39]!, tester: t, policy: "bayes", results: join(root, "r-jobs"), jobs: 2 });
    expect(out.culprit).toBe(L.culprit);
    // Attempt numbers per commit are unique and consecutive.
    for (const rec of out.book.records.values()) expect(rec.runs.map((r) => r.attempt)).toEqual(rec.runs.map((_, i) => i + 1));
  });
});

describe("bisect driver through merges", { timeout: 120_000 }, () => {
  /**
   * main: m0 - m1 - m2 - m3 - m4 - M - m6 - m7
   *              \             /
   *   side:       s1 - s2 - s3        (bugAt decides what brings the bug)
   */
  async function mergeRepo(name: string, bugAt: "s2" | "interaction"): Promise<Record<string, string> & { dir: string }> {
    const dir = join(root, name);
    await initRepo(dir);
    const c: Record<string, string> = {};
    c.m0 = await commit(dir, "m0", { "core.c": "0" });
    c.m1 = await commit(dir, "m1", { "core.c": "1" });
    await git(dir, "checkout", "-q", "-b", "side");
    c.s1 = await commit(dir, "s1: prepare", { "side.c": "1" });
    c.s2 = await commit(dir, "s2: the bad one", bugAt === "s2" ? { "side.c": "2", bug: "x" } : { "side.c": "2", "half-a": "x" });
    c.s3 = await commit(dir, "s3: follow-up", { "side.c": "3" });
    await git(dir, "checkout", "-q", "main");
    c.m2 = await commit(dir, "m2", { "core.c": "2" });
    c.m3 = await commit(dir, "m3", bugAt === "interaction" ? { "core.c": "3", "half-b": "y" } : { "core.c": "3" });
    c.m4 = await commit(dir, "m4", { "core.c": "4" });
    await git(dir, "merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side");
    c.M = await git(dir, "rev-parse", "HEAD");
    c.m6 = await commit(dir, "m6", { "core.c": "6" });
    c.m7 = await commit(dir, "m7", { "core.c": "7" });
    return { ...c, dir };
  }

  for (const policy of ["repeat", "bayes"] as const) {
    it(`${policy}: walks the first-parent line to the merge, then the merged branch, and names the side commit`, async () => {
      const r = await mergeRepo(`merge-${policy}`, "s2");
      const t = simTester(r.dir, { p: 0.7, seed: `m-${policy}` });
      const out = await bisect({ repo: r.dir, good: r.m0!, bad: r.m7!, tester: t, policy, results: join(root, `rm-${policy}`) });
      expect(out.book.lines.map((l) => l.level)).toEqual([0, 1]);
      expect(out.book.lines[0]!.commits).toEqual([r.m0, r.m1, r.m2, r.m3, r.m4, r.M, r.m6, r.m7]);
      expect(out.book.lines[1]).toMatchObject({ merge: r.M, commits: [r.m1, r.s1, r.s2, r.s3, r.M] });
      expect(out.culprit).toBe(r.s2);
      // Only the first-parent line and the merged branch were tested, never s-commits before the fork.
      const tested = new Set(t.runs.map((x) => x.sha));
      expect([...tested].every((s) => Object.values(r).includes(s))).toBe(true);
      const report = await buildReport(out, new GitRepo(r.dir), { scenario: "sim", policy, wallMs: 1 });
      expect(report.culprit?.merge).toBe(false);
      // git replays the log across the merge to the same first bad commit.
      const clone = join(root, `replay-${policy}`);
      await git(root, "clone", "-q", r.dir, clone);
      const log = await readFile(out.bisectLog, "utf8");
      expect(await git(clone, "bisect", "replay", out.bisectLog), log).toContain(`${r.s2} is the first bad commit`);
    });
  }

  it("a merge whose branch is good on its own is the culprit, flagged as a merge", async () => {
    const r = await mergeRepo("merge-interaction", "interaction");
    const t = simTester(r.dir, { p: 0.8, seed: "interaction" });
    const out = await bisect({ repo: r.dir, good: r.m0!, bad: r.m7!, tester: t, policy: "repeat", results: join(root, "rm-interaction") });
    expect(out.culprit).toBe(r.M);
    const report = await buildReport(out, new GitRepo(r.dir), { scenario: "sim", policy: "repeat", wallMs: 1 });
    expect(report.culprit?.merge).toBe(true);
    expect(report.culprit?.warnings.join(" ")).toMatch(/merge/);
  });

  it("--good that is not an ancestor of --bad is a usage error", async () => {
    const r = await mergeRepo("merge-anc", "s2");
    const t = simTester(r.dir, { p: 0.7 });
    await expect(bisect({ repo: r.dir, good: r.s3!, bad: r.m4!, tester: t, results: join(root, "rm-anc") })).rejects.toThrow(/not an ancestor/);
  });
});
