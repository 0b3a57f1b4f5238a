/**
 * The real tester's run side — runAttempt, the report parser, expectation matching and the
 * bisect classification — driven by the real driver on a real git repository, with fake
 * machines (test/fake) that print real kernel reports from the fixtures: the report-004
 * check_flush_dependency warning on bad commits (the target), a real hung-task report as
 * noise on any commit. Only the kernel build is simulated (a hash of the tree).
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nullSink, repoRoot, setTimeScale } from "../../../harness/common/index.ts";
import { scenarioSchema, type Scenario } from "../../../harness/config/index.ts";
import { DEFAULT_POLICY_OPTIONS, GitRepo, buildFailureReason, classifyAttempt, kernelTester, runBisect, type BuildOutcome } from "../../../harness/bisect/index.ts";
import type { BootPlan } from "../../../harness/run/index.ts";
import type { MachineFactory } from "../../../harness/vm/index.ts";
import { fakeFactory } from "../../fake/machine.ts";
import { HUNG_TASK } from "../../fake/reports.ts";
import { commit, dice, git, initRepo, simTester } from "./git-fixture.ts";

/** The report-004 warning from the real known-bad guest: the "is flushing" line and the WARNING after it. */
const FLUSH_WARNING = readFileSync(join(repoRoot, "test/fixtures/real-vm/linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log"), "utf8")
  .split("\n")
  .slice(797, 829)
  .map((l) => l.replace(/^\[\s*\d+\.\d+\]\s?/, ""));

let root: string;
beforeAll(async () => {
  setTimeScale(0.1);
  root = await mkdtemp(join(tmpdir(), "hangar-bisect-fake-"));
});
afterAll(async () => {
  setTimeScale(1);
  await rm(root, { recursive: true, force: true });
});

const scenario: Scenario = {
  ...scenarioSchema.parse({
    name: "localio-flush",
    steps: [{ name: "work", run: "echo fake:work" }],
    cooldown: "100ms",
    deadline: "30s",
    expect: {
      outcome: "reproduced",
      signatures: [
        { name: "localio-write-flushes-xfs-sync-from-reclaim-workqueue", kind: "warning", title: "^WARNING in check_flush_dependency", workqueues: ["/^xfs-sync/"] },
      ],
    },
  }),
  file: "(inline)",
};

const plan = (kernelId: string): BootPlan => ({
  accel: "tcg",
  qemuVersion: "fake",
  kernel: { source: "build", kernel: `/fake/${kernelId}/bzImage`, version: "6.12.0-fake" },
  image: { id: "fake-image", rootfs: "/fake/rootfs.img", sshKey: "/fake/key", bootArgs: [] },
});

describe("the real tester on fake machines", { timeout: 120_000 }, () => {
  it("classifies attempts: target hit, other reports as noise, infra and missing options as skips", () => {
    const rep = (title: string, kind = "warning") => ({ kind, title }) as never;
    expect(classifyAttempt({ verdict: "skipped", reason: "kernel lacks CONFIG_NFS_LOCALIO", reports: [], dir: "/d", durationMs: 1 }, scenario)).toMatchObject({ status: "untestable", reason: /CONFIG_NFS_LOCALIO/ });
    expect(classifyAttempt({ verdict: "infra", reason: "boot: no SSH within 180 s", reports: [], dir: "/d", durationMs: 1 }, scenario)).toMatchObject({ status: "infra" });
    expect(classifyAttempt({ verdict: "unexpected", reports: [rep("INFO: task hung in mnt_want_write", "hung-task")], dir: "/d", durationMs: 1 }, scenario)).toMatchObject({ status: "ran", matched: [], other: ["INFO: task hung in mnt_want_write"] });
  });

  it("a build failure is summed up by the tool's own last complaint", () => {
    const msg = [
      `make -C /c/src O=/c/obj ARCH=x86_64 "CC=ccache gcc" … exited with status 2; last lines of /c/build.log:`,
      "$ make -C /c/src O=/c/obj allnoconfig",
      "make: Entering directory '/c/src'",
      "fs/nfs/localio.c:812:1: error: unknown type name 'this'",
      "make: *** No rule to make target 'allnoconfig'.  Stop.",
      "# make exited with status 2 after 57 ms",
      "(full log: /c/build.log)",
    ].join("\n");
    expect(buildFailureReason(msg)).toBe("make: *** No rule to make target 'allnoconfig'.  Stop.");
    expect(buildFailureReason("config: CONFIG_NFS_LOCALIO did not stick")).toBe("config: CONFIG_NFS_LOCALIO did not stick");
  });

  it("bisects a real git line to the commit that brings the warning in, through runAttempt and the parser", async () => {
    const dir = join(root, "repo");
    await initRepo(dir);
    const shas: string[] = [];
    for (let i = 0; i < 12; i++) shas.push(await commit(dir, `c${i}`, { [`f${i % 3}`]: String(i), ...(i === 7 ? { bug: "nfsiod" } : {}) }));
    const sim = simTester(dir, { p: 1 });
    const badKernel = new Map<string, boolean>();
    const build = async (sha: string): Promise<BuildOutcome> => {
      const b = await sim.build(sha);
      if (b.ok) badKernel.set(b.kernelId!, (await git(dir, "ls-tree", "--name-only", sha)).split("\n").includes("bug"));
      return b;
    };
    // Each attempt gets its own fake machine: bad kernels print the warning in 80% of runs, every kernel a hung task in 20%.
    const machineFactory: MachineFactory = (spec) => {
      const kernelId = spec.kernel.split("/")[2]!;
      const run = spec.workDir.slice(spec.workDir.indexOf("commits/")); // commits/<sha12>/attempt-<n>: the same dice every test run
      const print = [
        ...(badKernel.get(kernelId) && dice("hit", run) < 0.8 ? FLUSH_WARNING : []),
        ...(dice("noise", run) < 0.2 ? HUNG_TASK : []),
      ];
      return fakeFactory({ rules: [{ match: /fake:work/, print }] }).factory(spec);
    };
    const results = join(root, "results");
    const tester = kernelTester({ git: dir, patches: [], fragments: [], sink: nullSink, scenario, dir: results, accel: "tcg", plan: async (id) => plan(id), machineFactory, build });
    const out = await runBisect({
      repo: new GitRepo(dir),
      inputs: { git: dir, good: shas[0]!, bad: shas[11]!, scenario: scenario.name, policy: "repeat", confidence: 0.95, patches: [], fragments: [] },
      id: "bisect-fake",
      dir: results,
      policy: "repeat",
      policyOptions: { ...DEFAULT_POLICY_OPTIONS },
      tester,
      resume: false,
      sink: nullSink,
    });
    expect(out.decision, JSON.stringify([...out.book.records.values()].map((r) => [r.sha.slice(0, 6), r.build?.ok, r.runs.map((x) => [x.status, x.matched.length, x.other.length, x.reason])]))).toMatchObject({ kind: "culprit" });
    expect(out.culprit).toBe(shas[7]);
    expect(out.book.target).toBe("localio-write-flushes-xfs-sync-from-reclaim-workqueue");
    // The hung-task reports were seen and recorded as noise, never as hits.
    const all = [...out.book.records.values()].flatMap((r) => r.runs);
    expect(all.some((r) => r.other.some((t) => /INFO: task hung/.test(t)))).toBe(true);
    for (const s of shas.slice(0, 7)) expect(out.book.counts(s).hits).toBe(0);
    // Attempt folders hold the real logs the report links to.
    const hit = all.find((r) => out.book.isHit(r))!;
    expect(hit.dir).toMatch(/commits\/[0-9a-f]{12}\/attempt-\d+$/);
  });
});
