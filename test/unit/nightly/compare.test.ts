import { describe, expect, it } from "vitest";
import { activeIssues, compareCell, maybeFixed, nightExitCode, parseKnownIssues, type Cell, type KnownIssue } from "../../../harness/nightly/index.ts";

const A = "hung-task:mnt_want_write|path_openat|do_filp_open";
const B = "lockdep/circular:a>b";
const sigs = {
  [A]: { kind: "hung-task", title: "INFO: task hung in mnt_want_write" },
  [B]: { kind: "lockdep", title: "possible deadlock in xfs_ilock" },
};

function cell(judged: number, hits: Record<string, number>, extra: Partial<Cell> = {}): Cell {
  const reported = Math.min(judged, Math.max(0, ...Object.values(hits)));
  return { kernel: "debian", scenario: "s1", outcome: reported ? "unexpected" : "clean", judged, infra: 0, skipped: 0, reported, hits, ...extra };
}

const known = (o: Partial<KnownIssue>): KnownIssue => ({ id: "k1", bug: "https://bugs.example/1", rate: 0.3, ...o });

interface Case {
  name: string;
  cur: Cell;
  base?: Cell;
  known?: KnownIssue[];
  state: string;
  changes?: Record<string, string>;
  bad?: string[];
}

// Each row: tonight, the baseline night's cell (none: first night), known issues → cell state and per-signature change.
const cases: Case[] = [
  { name: "clean both nights", cur: cell(3, {}), base: cell(3, {}), state: "unchanged", changes: {} },
  { name: "a signature never seen in the baseline", cur: cell(3, { [A]: 1 }), base: cell(3, {}), state: "regression", changes: { [A]: "new" }, bad: [A] },
  { name: "a signature seen in the baseline, gone tonight", cur: cell(3, {}), base: cell(3, { [A]: 3 }), state: "fixed", changes: { [A]: "gone" } },
  { name: "same signature, same rate", cur: cell(3, { [A]: 3 }), base: cell(3, { [A]: 3 }), state: "unchanged", changes: { [A]: "unchanged" } },
  { name: "rate up, not significant (1/10 → 3/10)", cur: cell(10, { [A]: 3 }), base: cell(10, { [A]: 1 }), state: "unchanged", changes: { [A]: "unchanged" } },
  { name: "rate up, significant (1/20 → 15/20)", cur: cell(20, { [A]: 15 }), base: cell(20, { [A]: 1 }), state: "regression", changes: { [A]: "up" }, bad: [A] },
  { name: "rate down, significant (15/20 → 1/20)", cur: cell(20, { [A]: 1 }), base: cell(20, { [A]: 15 }), state: "fixed", changes: { [A]: "down" } },
  { name: "one gone, one new: the new one wins", cur: cell(3, { [B]: 1 }), base: cell(3, { [A]: 2 }), state: "regression", changes: { [A]: "gone", [B]: "new" }, bad: [B] },
  { name: "first night: reports are seen, not new", cur: cell(3, { [A]: 2 }), state: "first", changes: { [A]: "seen" } },
  { name: "first night, clean", cur: cell(3, {}), state: "first", changes: {} },
  { name: "new but a known issue at its rate (1/10 at 30%)", cur: cell(10, { [A]: 1 }), base: cell(10, {}), known: [known({ signature: A })], state: "flaky-known", changes: { [A]: "new" } },
  { name: "known issue far above its rate (10/10 at 10%)", cur: cell(10, { [A]: 10 }), base: cell(10, { [A]: 1 }), known: [known({ signature: A, rate: 0.1 })], state: "regression", changes: { [A]: "up" }, bad: [A] },
  { name: "known issue by title regex", cur: cell(5, { [B]: 1 }), base: cell(5, {}), known: [known({ title: /^possible deadlock in xfs_/ })], state: "flaky-known", changes: { [B]: "new" } },
  { name: "known issue for another scenario does not apply", cur: cell(5, { [B]: 1 }), base: cell(5, {}), known: [known({ scenario: "other", title: /deadlock/ })], state: "regression", bad: [B] },
  { name: "known issue for another kernel does not apply", cur: cell(5, { [B]: 1 }), base: cell(5, {}), known: [known({ kernel: "mainline", title: /deadlock/ })], state: "regression", bad: [B] },
  { name: "known issue on a first night", cur: cell(5, { [A]: 1 }), known: [known({ signature: A })], state: "flaky-known", changes: { [A]: "seen" } },
  { name: "known issue above its rate on a first night", cur: cell(5, { [A]: 5 }), known: [known({ signature: A, rate: 0.1 })], state: "regression", bad: [A] },
  { name: "no attempt judged: infra", cur: cell(0, {}, { infra: 3, outcome: "infra" }), base: cell(3, {}), state: "infra", changes: {} },
  { name: "kernel lacks an option: skipped", cur: cell(0, {}, { skipped: 1, outcome: "skipped" }), base: cell(3, {}), state: "skipped" },
  { name: "infra attempts do not count in rates (1 judged)", cur: cell(1, { [A]: 1 }, { infra: 2 }), base: cell(3, { [A]: 3 }), state: "unchanged", changes: { [A]: "unchanged" } },
];

describe("compareCell", () => {
  it.each(cases)("$name → $state", (c) => {
    const r = compareCell(c.cur, c.base ? { cell: c.base, runId: "20261130-020000-aaaa" } : undefined, sigs, { alpha: 0.05, known: c.known ?? [] });
    expect(r.state, r.reason).toBe(c.state);
    if (c.changes) expect(Object.fromEntries(r.changes.map((x) => [x.signature, x.change]))).toEqual(c.changes);
    if (c.bad) expect(r.changes.filter((x) => x.bad).map((x) => x.signature)).toEqual(c.bad);
    expect(r.reason.length).toBeGreaterThan(0);
    if (c.base && c.cur.judged) expect(r.baselineRun).toBe("20261130-020000-aaaa");
  });

  it("shows the p-value of the rate change and names the signature in the reason", () => {
    const r = compareCell(cell(20, { [A]: 15 }), { cell: cell(20, { [A]: 1 }), runId: "b" }, sigs, { alpha: 0.05, known: [] });
    const ch = r.changes[0]!;
    expect(ch.p).toBeGreaterThan(0);
    expect(ch.p).toBeLessThan(0.001);
    expect(r.reason).toMatch(/rate up: INFO: task hung in mnt_want_write \(1\/20 → 15\/20, p=/);
  });

  it("a smaller alpha turns a significant change into an unchanged one", () => {
    const cur = cell(10, { [A]: 7 });
    const base = { cell: cell(10, { [A]: 1 }), runId: "b" };
    expect(compareCell(cur, base, sigs, { alpha: 0.05, known: [] }).state).toBe("regression");
    expect(compareCell(cur, base, sigs, { alpha: 0.001, known: [] }).state).toBe("unchanged");
  });
});

describe("nightExitCode", () => {
  it.each([
    [["unchanged", "first", "fixed", "flaky-known", "skipped"], 0],
    [["unchanged", "infra"], 3],
    [["infra", "regression"], 1],
    [[], 0],
  ] as const)("%j → %i", (states, code) => {
    expect(nightExitCode(states.map((state) => ({ state })))).toBe(code);
  });
});

describe("maybeFixed", () => {
  const issue = known({ id: "flake", signature: A, scenario: "s1" });
  const night = (hits: Record<string, number>, judged = 3, scenario = "s1") => ({ cells: [cell(judged, hits, { scenario })], signatures: sigs });
  it.each([
    ["seen tonight", [night({}), night({}), night({ [A]: 1 })], 2, []],
    ["quiet for 2 nights, N=2", [night({ [A]: 1 }), night({}), night({})], 2, [2]],
    ["quiet for 2 nights, N=3", [night({ [A]: 1 }), night({}), night({})], 3, []],
    ["infra nights do not count, nor break the run", [night({}), night({}, 0), night({})], 2, [2]],
    ["nights without its scenario do not count", [night({}), night({}, 3, "other"), night({}, 3, "other")], 2, []],
  ] as const)("%s", (_n, nights, after, expected) => {
    expect(maybeFixed([issue], nights, after).map((m) => m.nights)).toEqual(expected);
  });
});

describe("known issues file", () => {
  it("parses rates as numbers, percentages and fractions, and keeps the bug link", () => {
    const k = parseKnownIssues(
      `maybe_fixed_after: 3
issues:
  - { id: a, signature: "${A}", bug: "https://bugs/1", rate: 0.25 }
  - { id: b, title: "^possible deadlock", bug: "https://bugs/2", rate: "30%", scenario: s1, kernel: debian, expires: 2099-01-01 }
  - { title: "x", bug: "https://bugs/3", rate: "3/10" }
`,
      "k.yaml",
    );
    expect(k.maybeFixedAfter).toBe(3);
    expect(k.issues.map((i) => [i.id, i.rate])).toEqual([["a", 0.25], ["b", 0.3], ["https://bugs/3", 0.3]]);
    expect(k.issues[1]!.title!.test("possible deadlock in foo")).toBe(true);
  });

  const bad: [string, string, RegExp][] = [
    ["an unknown field", `issues:\n  - { signature: s, bug: b, rate: 0.1, sceanrio: x }\n`, /issues\[0\]\.sceanrio \(line 2\): unknown field "sceanrio"; expected one of: .*scenario/],
    ["a missing bug link", `issues:\n  - signature: s\n    rate: 0.1\n`, /issues\[0\]\.bug \(line 2\): missing/],
    ["a rate above 1", `issues:\n  - signature: s\n    bug: b\n    rate: 1.5\n`, /issues\[0\]\.rate \(line 4\): expected a rate within \[0, 1\]/],
    ["a rate that is no rate", `issues:\n  - { signature: s, bug: b, rate: often }\n`, /issues\[0\]\.rate.*expected a rate/],
    ["both signature and title", `issues:\n  - { signature: s, title: t, bug: b, rate: 0.1 }\n`, /issues\[0\].*exactly one of `signature`/],
    ["neither signature nor title", `issues:\n  - { bug: b, rate: 0.1 }\n`, /issues\[0\].*exactly one of `signature`/],
    ["a broken regular expression", `issues:\n  - { title: "(", bug: b, rate: 0.1 }\n`, /issues\[0\]\.title.*valid regular expression/],
    ["a date that is no date", `issues:\n  - { signature: s, bug: b, rate: 0.1, expires: "next week" }\n`, /issues\[0\]\.expires.*yyyy-mm-dd/],
    ["two entries with one id", `issues:\n  - { id: x, signature: s, bug: b, rate: 0.1 }\n  - { id: x, signature: t, bug: b, rate: 0.1 }\n`, /issues\[1\]\.id \(line 3\): "x" appears twice/],
    ["an unknown top-level field", `isues: []\n`, /isues \(line 1\): unknown field/],
    ["broken YAML", `issues: [\n`, /\(yaml\)/],
  ];
  it.each(bad)("rejects %s, naming file, field and expectation (exit 2)", (_n, text, msg) => {
    let err: unknown;
    try {
      parseKnownIssues(text, "/etc/hangar/known.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("/etc/hangar/known.yaml");
    expect((err as Error).message).toMatch(msg);
    expect((err as { exitCode: number }).exitCode).toBe(2);
  });
});

describe("known issue expiry", () => {
  const k = parseKnownIssues(`issues:\n  - { id: old, signature: "${A}", bug: "https://bugs/9", rate: 0.5, expires: 2026-11-30 }\n  - { id: ok, signature: "${B}", bug: "https://bugs/8", rate: 0.5, expires: 2026-12-01 }\n`, "k.yaml");
  it.each([
    ["the day before expiry", "2026-11-29", ["old", "ok"], 0],
    ["on the expiry day (inclusive)", "2026-11-30", ["old", "ok"], 0],
    ["the day after", "2026-12-01", ["ok"], 1],
  ])("%s", (_n, today, ids, warnings) => {
    const r = activeIssues(k, today);
    expect(r.active.map((i) => i.id)).toEqual(ids);
    expect(r.warnings).toHaveLength(warnings);
    if (warnings) expect(r.warnings[0]).toMatch(/k\.yaml: known issue "old" \(https:\/\/bugs\/9\) expired on 2026-11-30/);
  });
  it("an expired issue no longer excuses its signature", () => {
    const { active } = activeIssues(k, "2026-12-01");
    const r = compareCell(cell(3, { [A]: 1 }), { cell: cell(3, {}), runId: "b" }, sigs, { alpha: 0.05, known: active });
    expect(r.state).toBe("regression");
  });
});
