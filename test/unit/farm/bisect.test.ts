/**
 * `hangar bisect --redis`: the real driver and the real kernel tester on a real git repository,
 * each commit's attempts as jobs through a real redis-server to two real worker processes (the
 * real worker code; the guest is the scripted fake machine: a kernel whose bzImage carries the
 * bug marker shows a real hung-task report, fixtures.ts). Only the kernel build is simulated: a
 * small bzImage per commit, published by hash and fetched and verified by the workers.
 * The same bisect locally must name the same culprit; a bisect stopped midway and resumed
 * must not run any attempt twice.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventBus, nullSink } from "../../../harness/common/index.ts";
import { DEFAULT_POLICY_OPTIONS, GitRepo, kernelTester, readLedger, runBisect, type BisectInputs, type BuildOutcome, type LedgerEvent } from "../../../harness/bisect/index.ts";
import { farmStatus, openFarmExecutor } from "../../../harness/farm/index.ts";
import type { AttemptExecutor } from "../../../harness/run/index.ts";
import { commit, git, initRepo } from "../bisect/git-fixture.ts";
import { BAD_KERNEL_MARKER, farmMachineFactory, fakeScenario, pathPlan, spawnWorker } from "./fixtures.ts";
import { farmBed, workersReady } from "./bed.ts";

const bed = farmBed("hangar-farm-bisect-");

const scenario = fakeScenario("bisect-work", "work");
const ID = "bisect-bisect-work-farmtest";

/** The simulated kernel build: a bzImage per commit, with the marker when the commit's tree has the file `bug`. */
function builder(repo: string) {
  return async (sha: string): Promise<BuildOutcome> => {
    const bad = (await git(repo, "ls-tree", "--name-only", sha)).split("\n").includes("bug");
    const content = `fake bzImage of ${sha}\n${bad ? BAD_KERNEL_MARKER : ""}\n`;
    const dir = join(bed.root, "kernels", sha.slice(0, 12));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "bzImage"), content);
    return { ok: true, kernelId: `fake-${sha.slice(0, 12)}`, imageHash: createHash("sha256").update(content).digest("hex") };
  };
}
/** The boot plan of a built kernel (its id names its folder). */
const plan = async (kernelId: string) => pathPlan(join(bed.root, "kernels", kernelId.replace(/^fake-/, ""), "bzImage"), kernelId);

function bisect(o: { repo: string; inputs: BisectInputs; results: string; executor?: AttemptExecutor; jobs: number; resume: boolean; signal?: AbortSignal }) {
  const dir = join(o.results, ID);
  const tester = kernelTester({
    git: o.repo,
    patches: [],
    fragments: [],
    sink: nullSink,
    scenario,
    dir,
    accel: "tcg",
    plan,
    build: builder(o.repo),
    ...(o.executor ? { executor: o.executor } : { machineFactory: farmMachineFactory() }),
  });
  return runBisect({
    repo: new GitRepo(o.repo),
    inputs: o.inputs,
    id: ID,
    dir,
    policy: "repeat",
    policyOptions: { ...DEFAULT_POLICY_OPTIONS, jobs: o.jobs },
    tester,
    resume: o.resume,
    sink: nullSink,
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

const runsOf = (events: LedgerEvent[]) => events.filter((e): e is Extract<LedgerEvent, { type: "run" }> => e.type === "run");
/** The job id of a ledger run, as a worker names its folder (fake-machine lines). */
const bootName = (r: { sha: string; attempt: number }) => `${ID}/commits/${r.sha.slice(0, 12)}/attempt-${r.attempt}`.replace(/[^A-Za-z0-9._-]/g, "_");

describe("hangar bisect on the farm", () => {
  it("reaches the culprit a local bisect reaches; stopped and resumed, no attempt is enqueued or run twice", async () => {
    // A long job lock: on a loaded host a short one can expire mid-attempt and the job run again elsewhere (farm.test.ts covers that), which this test counts as a duplicate.
    for (const name of ["bw1", "bw2"]) bed.workers.push(spawnWorker({ url: bed.redis.url, name, cache: join(bed.root, `cache-${name}`), slots: 2, lockMs: 30_000 }));
    const repo = join(bed.root, "repo");
    await initRepo(repo);
    const shas: string[] = [];
    for (let i = 0; i < 12; i++) shas.push(await commit(repo, `c${i}`, { [`f${i % 3}`]: String(i), ...(i === 7 ? { bug: "hung writer" } : {}) }));
    const inputs: BisectInputs = { git: repo, good: shas[0]!, bad: shas[11]!, scenario: scenario.name, policy: "repeat", confidence: 0.95, patches: [], fragments: [] };

    const local = await bisect({ repo, inputs, results: join(bed.root, "local"), jobs: 1, resume: false });
    expect(local.decision.kind).toBe("culprit");
    expect(local.culprit).toBe(shas[7]);

    await workersReady(bed.workers);
    const results = join(bed.root, "farm");
    const ledger = join(results, ID, "ledger.jsonl");
    const open = () => openFarmExecutor({ target: bed.target, sink: new EventBus(), root: results, pollMs: 100, accel: "tcg" });

    // First invocation: three attempts of a commit queued together; stopped (Ctrl-C) once the fourth attempt came back.
    const first = await open();
    const ac = new AbortController();
    let back = 0;
    const stopping: AttemptExecutor = async (a) => {
      const r = await first.execute(a);
      if (++back === 4) ac.abort();
      return r;
    };
    const stopped = await bisect({ repo, inputs, results, executor: stopping, jobs: 3, resume: false, signal: ac.signal }).catch((e: unknown) => e);
    await first.close();
    expect(ac.signal.aborted).toBe(true);
    expect(stopped).toBeInstanceOf(Error);
    const before = runsOf(await readLedger(ledger));
    expect(before.length).toBeGreaterThanOrEqual(3);

    // Second invocation, --resume: the same culprit; recorded attempts are not enqueued again.
    const second = await open();
    let resumed;
    try {
      resumed = await bisect({ repo, inputs, results, executor: second.execute, jobs: 3, resume: true });
    } finally {
      // As the CLI does once the bisect reached its decision: every run's job leaves Redis.
      await second.close({ removeCollected: true, removeDirs: runsOf(await readLedger(ledger)).flatMap((r) => (r.dir ? [r.dir] : [])) });
    }
    expect(resumed.decision.kind).toBe("culprit");
    expect(resumed.culprit).toBe(local.culprit);
    const recorded = new Set(before.map((r) => `${ID}/commits/${r.sha.slice(0, 12)}/attempt-${r.attempt}`));
    expect(second.enqueued.filter((id) => recorded.has(id))).toEqual([]);
    expect(new Set(second.enqueued).size).toBe(second.enqueued.length);

    // Every attempt of the final ledger ran exactly once, on some worker; nothing else ran.
    const all = runsOf(await readLedger(ledger));
    expect(all.filter((r) => r.status !== "ran")).toEqual([]);
    const boots = bed.workers.flatMap((w) => [...w.output().matchAll(/^fake-machine (.+)-try\d+-[0-9a-f]{6}$/gm)].map((m) => m[1]!));
    expect(boots.sort()).toEqual(all.map(bootName).sort());
    // The commits' attempts ran on both workers, several at once.
    expect(bed.workers.every((w) => /fake-machine/.test(w.output()))).toBe(true);
    // The hits came from the fetched kernels: hung tasks on the bad commits only, logs in the bisect's tree.
    for (const r of all) expect(r.matched.length > 0, r.sha).toBe(shas.indexOf(r.sha) >= 7);
    const hit = all.find((r) => r.matched.length)!;
    expect(hit.dir).toBe(join(results, ID, "commits", hit.sha.slice(0, 12), `attempt-${hit.attempt}`));
    expect(await readFile(join(hit.dir!, "console.log"), "utf8")).toMatch(/blocked for more than/);

    // A third invocation of the finished bisect enqueues nothing at all.
    const third = await open();
    try {
      const again = await bisect({ repo, inputs, results, executor: third.execute, jobs: 3, resume: true });
      expect(again.culprit).toBe(local.culprit);
    } finally {
      await third.close({ removeCollected: true });
    }
    expect([...third.enqueued, ...third.found]).toEqual([]);
    // The bisect's jobs left Redis.
    expect((await farmStatus(bed.target)).counts).toMatchObject({ completed: 0, failed: 0, waiting: 0, active: 0 });
  }, 300_000);
});
