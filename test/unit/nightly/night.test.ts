import { appendFile, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baselineCell, parseKnownIssues, queryHistory, readHistory, resolveBaseline } from "../../../harness/nightly/index.ts";
import { nightId, synthNight, type SynthCell } from "./synthetic.ts";
import { tempDirs } from "../../temp-dirs.ts";

const tempDir = tempDirs();

const HUNG = "hung-task:mnt_want_write|path_openat|do_filp_open";
const cells = (a: SynthCell["attempts"], b: SynthCell["attempts"] = ["clean", "clean"]): SynthCell[] => [
  { scenario: "canary", attempts: a },
  { scenario: "quiet", attempts: b },
];

describe("a night's outputs (synthetic runs, real writers)", () => {
  it("first night, a regression against it, then an identical night: 0, 1, 0", async () => {
    const root = await tempDir("hangar-nightly-");
    const n0 = await synthNight(root, { runId: nightId(0), kernels: [{ key: "debian", cells: cells(["clean", "clean"]) }] });
    expect(n0.exitCode).toBe(0);
    expect(n0.baseline).toBeUndefined();
    expect(n0.cells.map((c) => c.state)).toEqual(["first", "first"]);

    const n1 = await synthNight(root, { runId: nightId(1), baseline: nightId(0), kernels: [{ key: "debian", cells: cells(["hung", "hung"]) }] });
    expect(n1.exitCode).toBe(1);
    const canary = n1.cells.find((c) => c.scenario === "canary")!;
    expect(canary.state).toBe("regression");
    expect(canary.changes).toMatchObject([{ signature: HUNG, change: "new", base: { hits: 0, n: 2 }, cur: { hits: 2, n: 2 }, bad: true }]);
    expect(n1.regressions).toEqual([{ kernel: "debian", scenario: "canary", titles: ["INFO: task hung in mnt_want_write"] }]);
    // nightly.json is the summary the hook gets; junit names the regression's report title.
    const json = JSON.parse(await readFile(join(n1.dir, "nightly.json"), "utf8"));
    expect(json.cells[0].changes[0].p).toBeCloseTo(1 / 3, 6);
    const junit = await readFile(join(n1.dir, "junit.xml"), "utf8");
    expect(junit).toMatch(/<testcase classname="hangar\.nightly\.debian" name="canary">.*<failure message="INFO: task hung in mnt_want_write" type="regression">/);
    expect(junit).toMatch(/<testsuite name="hangar\.nightly\.debian" tests="2" failures="1" errors="0" skipped="0"/);
    // The run's own results are there too (the real ResultStore writer), with the log pages.
    await stat(join(n1.dir, "debian", "summary.json"));
    const page = await readFile(join(n1.dir, "debian", "canary", "attempt-1", "console.html"), "utf8");
    expect(page).toMatch(/<span id="L650" class="rep start" data-report="0">/);

    const n2 = await synthNight(root, { runId: nightId(2), baseline: nightId(1), kernels: [{ key: "debian", cells: cells(["hung", "hung"]) }] });
    expect(n2.exitCode).toBe(0);
    expect(n2.cells.map((c) => c.state)).toEqual(["unchanged", "unchanged"]);

    const history = await readHistory(root);
    expect(history.map((e) => e.runId)).toEqual([nightId(0), nightId(1), nightId(2)]);
    expect(history[1]!.cells[0]).toMatchObject({ scenario: "canary", state: "regression", judged: 2, reported: 2, new: [HUNG] });
    expect(resolveBaseline(history, "latest", root)).toBe(nightId(2));
    expect(resolveBaseline(history, "none", root)).toBeUndefined();
    expect(resolveBaseline(history, nightId(1).slice(0, 15), root)).toBe(nightId(1));
    expect(() => resolveBaseline(history, "20250101", root)).toThrow(/--baseline 20250101: no nightly run with that id/);

    // hangar history --signature: the rate of one signature per night.
    const rows = queryHistory(history, { signature: "task hung in mnt_want" });
    expect(rows.map((r) => [r.runId, r.scenario, r.hits, r.judged])).toEqual([
      [nightId(0), "canary", 0, 2],
      [nightId(1), "canary", 2, 2],
      [nightId(2), "canary", 2, 2],
    ]);
    expect(queryHistory(history, { scenario: "quiet", last: 2 }).map((r) => r.state)).toEqual(["unchanged", "unchanged"]);

    // A lost index is rebuilt from the nights' nightly.json; a damaged line is skipped with a warning.
    await rm(join(root, "history.jsonl"));
    const warnings: string[] = [];
    expect((await readHistory(root, (w) => warnings.push(w))).map((e) => e.runId)).toEqual(history.map((e) => e.runId));
    expect(warnings.join("\n")).toMatch(/was missing: rebuilt from 3 night/);
    await appendFile(join(root, "history.jsonl"), "{not json\n");
    expect(await readHistory(root, (w) => warnings.push(w))).toHaveLength(3);
    expect(warnings.join("\n")).toMatch(/history\.jsonl line 4: skipped/);
  });

  it("an infra night is no baseline: the cell compares with the last night that judged it", async () => {
    const root = await tempDir("hangar-nightly-");
    await synthNight(root, { runId: nightId(0), kernels: [{ key: "debian", cells: cells(["hung", "hung"]) }] });
    const n1 = await synthNight(root, { runId: nightId(1), baseline: nightId(0), kernels: [{ key: "debian", cells: cells(["infra", "infra"]) }] });
    expect(n1.cells[0]!.state).toBe("infra");
    expect(n1.exitCode).toBe(3);
    const n2 = await synthNight(root, { runId: nightId(2), baseline: nightId(1), kernels: [{ key: "debian", cells: cells(["hung", "hung"]) }] });
    expect(n2.cells[0]).toMatchObject({ state: "unchanged", baselineRun: nightId(0) });
    expect(baselineCell(await readHistory(root), nightId(1), "debian", "canary")?.runId).toBe(nightId(0));
  });

  it("a known issue at its rate is flaky-known, a JUnit skip with its bug link; a second kernel is its own column", async () => {
    const root = await tempDir("hangar-nightly-");
    const known = parseKnownIssues(`issues:\n  - { id: freeze-flake, scenario: canary, title: "^INFO: task hung in mnt_want_write$", bug: "https://bugs.example/42", rate: "50%" }\n`, "known.yaml");
    await synthNight(root, { runId: nightId(0), kernels: [{ key: "debian", cells: cells(["clean", "clean"]) }] });
    const n1 = await synthNight(root, {
      runId: nightId(1),
      baseline: nightId(0),
      known,
      kernels: [
        { key: "debian", cells: cells(["hung", "clean"]) },
        { key: "mainline", version: "6.12.117-hangar", cells: cells(["clean", "clean"]) },
      ],
    });
    expect(n1.exitCode).toBe(0);
    expect(n1.cells.map((c) => `${c.kernel}/${c.scenario}:${c.state}`)).toEqual(["debian/canary:flaky-known", "debian/quiet:unchanged", "mainline/canary:first", "mainline/quiet:first"]);
    const junit = await readFile(join(n1.dir, "junit.xml"), "utf8");
    expect(junit).toMatch(/name="canary"><properties><property name="state" value="flaky-known"\/><\/properties><skipped message="known issue: https:\/\/bugs\.example\/42"\/>/);
    expect(junit).toMatch(/<testsuite name="hangar\.nightly\.mainline" tests="2"/);
  });
});
