/**
 * Unreachable expectations (`hangar lint`). The kernel's names come from real sources: a temp
 * tree scanned by the real grep, a System.map in its real format, and
 * test/fixtures/kernel-6.12/names.json, what the same scan found in Debian's
 * linux-source-6.12 (6.12.117): regenerate it with the scan when the scenarios name new
 * functions (the test says which name is missing from it).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { loadScenario } from "../../../harness/config/index.ts";
import type { ExpectedSignature } from "../../../harness/match/index.ts";
import { lintExpectations, lintScenario, namesAddedBy, namesIn, parseSystemMap, scanFunctions, scanLockClasses, type KernelIndex } from "../../../harness/lint/index.ts";

const dir = await mkdtemp(join(tmpdir(), "hangar-lint-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Names {
  source: string;
  functions: Record<string, boolean>;
  lockClasses: Record<string, boolean>;
  lockClassesMatching: Record<string, string[]>;
  workqueues: string[];
}
const names = JSON.parse(await readFile(join(repoRoot, "test", "fixtures", "kernel-6.12", "names.json"), "utf8")) as Names;
/** The 6.12 index as the scan of Debian's tree built it (only the names the fixture holds). */
const k612: KernelIndex = {
  describe: names.source,
  definedFunctions: new Set(Object.entries(names.functions).filter(([, v]) => v).map(([n]) => n)),
  lockClasses: new Set([...Object.entries(names.lockClasses).filter(([, v]) => v).map(([n]) => n), ...Object.values(names.lockClassesMatching).flat()]),
  workqueues: new Set(names.workqueues),
};

describe("the study's offenders are found (as the report scenarios had them)", () => {
  const old: ExpectedSignature[] = [
    { name: "agf-lock-inversion", kind: "lockdep", lockClasses: ["/xfs_buf|agf/"] },
    { name: "repair-waits-for-shrinker-rwsem", kind: "hung-task", anyFrames: ["unregister_shrinker", "shrinker_free", "register_shrinker", "shrinker_register"] },
    { name: "shrinker-rwsem-inversion", kind: "lockdep", lockClasses: ["shrinker_rwsem"] },
    { name: "ordered-work-waits-on-lower-io", kind: "hung-task", anyFrames: ["run_ordered_work", "btrfs_work_helper", "normal_work_helper"] },
    { name: "only-gone", kind: "hung-task", frames: ["normal_work_helper", "btrfs_work_helper"] },
  ];
  const problems = lintExpectations(old, k612);
  const by = (value: string) => problems.filter((p) => p.value === value);

  it("AGF locks: lockdep does not track xfs_buf semaphores (error)", () => {
    expect(by("/xfs_buf|agf/")).toMatchObject([{ severity: "error", field: "expect.signatures[0].lockClasses[0]", message: expect.stringMatching(/semaphores/) }]);
  });
  it("register_shrinker/unregister_shrinker no longer exist (warning: shrinker_free can still match)", () => {
    expect(by("unregister_shrinker")).toMatchObject([{ severity: "warning", field: "expect.signatures[1].anyFrames[0]" }]);
    expect(by("register_shrinker")).toMatchObject([{ severity: "warning" }]);
  });
  it("shrinker_rwsem is not a lock 6.12 has (error)", () => {
    expect(by("shrinker_rwsem")).toMatchObject([{ severity: "error", signature: "shrinker-rwsem-inversion" }]);
  });
  it("normal_work_helper: a warning among anyFrames, an error in frames (all must match)", () => {
    expect(by("normal_work_helper").map((p) => [p.field, p.severity])).toEqual([
      ["expect.signatures[3].anyFrames[2]", "warning"],
      ["expect.signatures[4].frames[0]", "error"],
    ]);
  });
  it("nothing else is flagged: the other names exist in 6.12", () => {
    expect(problems.length).toBe(6);
  });
});

describe("the shipped report scenarios have no unreachable expectation on 6.12", () => {
  for (const n of ["xfs-bmbt-split-rescuer", "xfs-inodegc-shrinker-scrub", "xfs-dmthin-loop-reclaim", "btrfs-zstd-on-btrfs-loop", "nfs-localio-xfs-enospc"]) {
    it(n, async () => {
      const sc = await loadScenario(join(repoRoot, "workloads", `${n}.yaml`));
      const { functions } = namesIn([...sc.expect.signatures, ...(sc.expect.forbid ?? [])]);
      for (const f of functions.filter((f) => !f.startsWith("__x64_"))) expect(names.functions, `${f}: not in test/fixtures/kernel-6.12/names.json, regenerate it`).toHaveProperty([f]);
      const lint = await lintScenario(sc, k612);
      expect(lint.problems.filter((p) => p.severity === "error")).toEqual([]);
      // A lock only the known-bad kernel has is allowed, and said so.
      for (const w of lint.problems) expect(w.message, `${w.field} ${w.value}`).toMatch(/knownBad|another anyFrames entry/);
    });
  }
});

describe("the kernel index, from real files", () => {
  it("System.map: text symbols (t/T/W) are functions, the rest data; compiler suffixes dropped", () => {
    const m = parseSystemMap(
      ["ffffffff81000000 T _stext", "ffffffff8123a0c0 t xfs_btree_split_worker", "ffffffff8123a1f0 t run_ordered_work.isra.0", "ffffffff82a0b5e0 d shrinker_mutex", "ffffffff82c1d4a0 b __fs_reclaim_map", "0000000000000000 A __crc_x"].join("\n"),
    );
    expect([...m.text]).toEqual(["_stext", "xfs_btree_split_worker", "run_ordered_work"]);
    expect(m.data.has("shrinker_mutex")).toBe(true);
  });
  it("with a System.map, an inlined or removed function is an error even if the source defines it", () => {
    const k: KernelIndex = { describe: "kernel x (System.map)", textSymbols: new Set(["btrfs_work_helper"]), dataSymbols: new Set() };
    const p = lintExpectations([{ name: "x", frames: ["run_ordered_work"] }, { name: "y", anyFrames: ["/^btrfs_work/"] }, { name: "z", anyFrames: ["/^nope_/"] }], k);
    expect(p.map((x) => [x.value, x.severity])).toEqual([
      ["run_ordered_work", "error"],
      ["/^nope_/", "error"],
    ]);
  });

  it("scans a tree with grep: definitions (not calls, not comments), static locks, init expressions, lockdep maps, workqueues", async () => {
    const tree = join(dir, "tree");
    await mkdir(join(tree, "fs"), { recursive: true });
    await writeFile(
      join(tree, "fs", "a.c"),
      [
        "static DEFINE_MUTEX(foo_mutex);",
        "static DECLARE_RWSEM(bar_rwsem);",
        "static struct lockdep_map __my_map = STATIC_LOCKDEP_MAP_INIT(\"my_reclaim\", &__my_map);",
        "/*",
        " * defined_fn() is mentioned here, and so is only_in_comment()",
        " */",
        "static int",
        "defined_fn(struct x *bp)",
        "{",
        "\tspin_lock_init(&bp->b_lock);",
        "\tcalled_only(bp);",
        "\twq = alloc_workqueue(\"xfs-sync/%s\", WQ_FREEZABLE, 0, name);",
        "\treturn 0;",
        "}",
        "void other_fn(void) { }",
        "#define macro_fn(x) (x)",
      ].join("\n"),
    );
    const f = await scanFunctions(tree, ["defined_fn", "other_fn", "macro_fn", "called_only", "only_in_comment"]);
    expect([...f].sort()).toEqual(["defined_fn", "macro_fn", "other_fn"]);
    const l = await scanLockClasses(tree);
    expect([...l.classes].sort()).toEqual(["&bp->b_lock", "bar_rwsem", "foo_mutex", "my_reclaim"]);
    expect([...l.workqueues]).toEqual(["xfs-sync"]);
    const k: KernelIndex = { describe: "tree", definedFunctions: f, lockClasses: l.classes, workqueues: l.workqueues };
    expect(lintExpectations([{ name: "ok", lockClasses: ["foo_mutex", "&bp->b_lock#3", "(wq_completion)xfs-sync/vdb", "(work_completion)(&(&gc->work)->work)"] }], k)).toEqual([]);
    expect(lintExpectations([{ name: "bad", lockClasses: ["baz_mutex", "(wq_completion)nowq"] }], k).map((p) => p.value)).toEqual(["baz_mutex", "(wq_completion)nowq"]);
  });

  it("names a patch adds (definitions and static locks in + lines) make an expectation reachable on that kernel", async () => {
    const text = await readFile(join(repoRoot, "vm-images", "patches", "001", "inject-shrinker-rwsem.patch"), "utf8");
    expect(namesAddedBy(text).has("shrinker_rwsem")).toBe(true);
  });
});
