import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseReports } from "../../harness/detect/index.ts";
import type { CachedKernel } from "../../harness/kernel/index.ts";
import { attemptOn, builtKernel, PER_SCENARIO_MS } from "./setup.ts";

// Scenarios that need a kernel from `hangar kernel build` (lockdep, NFS localio, online
// scrub). Building one takes tens of minutes on 2 cores, so these run when the cache already
// holds one (test/e2e/kernel.test.ts builds it with HANGAR_E2E_KERNEL=1) and are skipped
// otherwise. In CI they wait for the default kernel .ci/run builds alongside the other tests
// (report 004's kernel, built after it, is kernel-004.test.ts's).
const has = (k: CachedKernel, f: string) => k.meta.fragments.includes(f);
const plain = await builtKernel("default", (k) => has(k, "lockdep") && has(k, "nfs") && has(k, "xfs") && k.meta.patches.length === 0);

describe.skipIf(!plain)(`scenarios on a built lockdep kernel (${plain?.meta.id ?? "none cached"})`, () => {
  it("selftest-lockdep: the out-of-tree module's A→B / B→A order is a circular-locking report with both lock classes", async () => {
    const r = await attemptOn(plain!, "selftest-lockdep");
    expect(r.verdict, r.reason).toBe("reproduced");
    const rep = r.reports.find((x) => x.kind === "lockdep")!;
    expect(rep.title).toMatch(/^possible deadlock in /);
    expect(rep.lockdep?.type).toBe("circular");
    expect(rep.lockdep?.lockClasses).toEqual(expect.arrayContaining(["hangar_lock_a", "hangar_lock_b"]));
    // The parser finds the same report in the saved console log.
    const text = await readFile(join(r.dir, "console.log"), "utf8");
    expect(parseReports(text).some((x) => x.signature === rep.signature)).toBe(true);
    if (process.env.HANGAR_SAVE_FIXTURES) await copyFile(join(r.dir, "console.log"), process.env.HANGAR_SAVE_FIXTURES);
  }, PER_SCENARIO_MS);

  it("nfs-localio-xfs-enospc: localio engages, and without the patch the attempt is clean", async () => {
    const r = await attemptOn(plain!, "nfs-localio-xfs-enospc", 0.25);
    expect(r.storage.find((l) => l.type === "nfs-localio")?.output?.facts.localio).toBe("in-use");
    expect(r.verdict, `${r.reason} ${r.reports.map((x) => x.title).join("; ")}`).toBe("clean");
  }, PER_SCENARIO_MS);

  it("xfs-inodegc-shrinker-scrub: runs (not skipped) with online scrub and repair built in", async () => {
    const r = await attemptOn(plain!, "xfs-inodegc-shrinker-scrub", 0.1);
    expect(r.verdict, r.reason).not.toBe("skipped");
    expect(r.verdict, r.reason).not.toBe("infra");
    expect(r.steps.find((s) => s.name === "online-repair")?.stdoutTail).toMatch(/xfs_scrub passes=[1-9]/);
  }, PER_SCENARIO_MS);
});
