/**
 * Kernels built from source (`hangar kernel build`).
 *
 * - The build itself (tens of minutes cold on 2 cores) runs only with HANGAR_E2E_KERNEL=1.
 * - When the cache already holds a built lockdep kernel, it is booted with the default image
 *   (no env needed): selftest-clean must come out clean and /proc/config.gz must show
 *   CONFIG_PROVE_LOCKING=y. The scenarios that need such a kernel (selftest-lockdep, report
 *   004 with and without its known-bad patch) are in kernel-scenarios.test.ts.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, type EventBus } from "../../harness/common/index.ts";
import { ensureKernelBuildHost } from "../../harness/cli/host-requirements.ts";
import { loadScenario, scenarioSchema } from "../../harness/config/index.ts";
import { DEFAULT_FRAGMENTS, buildKernel, listKernels } from "../../harness/kernel/index.ts";
import { runSuite, startSession, type BootPlan } from "../../harness/run/index.ts";
import { liveChildren } from "../../harness/vm/index.ts";
import { builtKernel, realBootPlan, tempDir, tempStore, testBus, workload } from "./setup.ts";

describe.skipIf(!process.env.HANGAR_E2E_KERNEL)("hangar kernel build (HANGAR_E2E_KERNEL=1)", () => {
  it("builds the default fragments, then a second build is a cache hit", async () => {
    const { bus } = testBus("e2e kernel");
    const missing = await ensureKernelBuildHost({ debianSource: true, git: false }, (l) => process.stderr.write(`[e2e kernel] install: ${l}\n`));
    expect(missing).toEqual([]);
    const first = await buildKernel({ sink: bus });
    const m = first.kernel.meta;
    expect(m.id).toMatch(/^[0-9a-f]{12}$/);
    expect(m.version).toMatch(/^6\.12\.\d+-hangar$/);
    expect(m.fragments).toEqual([...DEFAULT_FRAGMENTS]);
    expect(m.patches).toEqual([]);
    expect(m.modulesEnabled).toBe(true);
    const config = await readFile(first.kernel.config, "utf8");
    expect(config).toMatch(/^CONFIG_PROVE_LOCKING=y$/m);
    expect(config).toMatch(/^CONFIG_NFS_LOCALIO=y$/m);
    expect(first.modules.hangar_lockdep_abba).toMatch(/modules\/hangar_lockdep_abba\.ko$/);
    expect((await listKernels()).map((k) => k.meta.id)).toContain(m.id);

    const second = await buildKernel({ sink: bus });
    expect(second.cached).toBe(true);
    expect(second.kernel.meta.id).toBe(m.id);

    // The known-bad kernel of report 004: a different id (the patch is part of the key), ccache warm.
    const patched = await buildKernel({ sink: bus, patches: [join(repoRoot, "vm-images", "patches", "nfs-localio-writes-on-nfsiod.patch")] });
    expect(patched.kernel.meta.id).not.toBe(m.id);
    expect(patched.kernel.meta.patches.map((p) => p.file)).toEqual([expect.stringMatching(/nfs-localio-writes-on-nfsiod\.patch$/)]);
  }, 4 * 60 * 60_000);
});

// An unpatched kernel with lockdep built from Debian's source, found before the tests are
// collected. In CI the kernels build alongside the other test files: wait for them first.
const built = await builtKernel("default", (k) => k.meta.fragments.includes("lockdep") && k.meta.fragments.includes("base") && !k.meta.patches.length);
if (!built) {
  process.stderr.write("[e2e kernel] skipping the built-kernel boot tests: no unpatched kernel with the base and lockdep fragments in the cache (run `./hangar kernel build` first, ~20 min cold)\n");
}

describe.skipIf(!built)(`a built kernel boots the default image (${built?.meta.id ?? "none cached"})`, () => {
  let plan: BootPlan;
  let bus: EventBus;
  beforeAll(async () => {
    ({ plan, bus } = await realBootPlan(built!.meta.id, "e2e kernel"));
  }, 30 * 60_000);
  afterAll(() => {
    expect(liveChildren()).toEqual([]);
  });

  it("resolves the id to the artifact, with its config and modules", () => {
    expect(plan.kernel).toMatchObject({ source: "build", id: built!.meta.id, kernel: built!.kernel, config: built!.config, buildDir: built!.meta.buildDir });
    expect(plan.kernel.initrd).toBeUndefined();
    expect(plan.kernel.modules?.hangar_lockdep_abba).toBeDefined();
  });

  it("selftest-clean comes out clean", async () => {
    const sc = await loadScenario(workload("selftest-clean.yaml"));
    const store = await tempStore();
    const summary = await runSuite({ suite: "t", scenarios: [sc], plan, store, sink: bus });
    const a = summary.scenarios[0]!.attempts[0]!;
    expect(a.verdict, a.reason).toBe("clean");
    expect(summary.kernel.source).toBe("build");
    const consoleLog = await readFile(join(a.dir, "console.log"), "utf8");
    expect(consoleLog).toContain(built!.meta.version);
  }, 10 * 60_000);

  it("has PROVE_LOCKING in /proc/config.gz and runs the release it was built as", async () => {
    const sc = scenarioSchema.parse({ name: "kernel-lockdep", steps: [{ name: "x", run: "true" }], expect: { outcome: "clean", signatures: [] } });
    const dir = await tempDir("hangar-kernel-e2e-");
    const session = await startSession({ scenario: { ...sc, file: "(inline)" }, plan, sink: bus, dir });
    try {
      const cfg = await session.ctx.exec("zcat /proc/config.gz | grep -E '^CONFIG_PROVE_LOCKING='", 30_000);
      expect(cfg.stdout.trim()).toBe("CONFIG_PROVE_LOCKING=y");
      const uname = await session.ctx.exec("uname -r", 15_000);
      expect(uname.stdout.trim()).toBe(built!.meta.version);
      // The ABBA test module's lockdep report: selftest-lockdep in kernel-scenarios.test.ts.
    } finally {
      await session.close();
    }
  }, 10 * 60_000);
});
