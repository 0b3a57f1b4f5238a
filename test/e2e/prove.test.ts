/**
 * `hangar prove` end to end (HANGAR_E2E_KERNEL=1: it builds kernels): report 004's scenario
 * with its known-bad kernel (the nfsiod patch). Builds the stock kernel (a cache hit when
 * `hangar kernel build` ran) and the patched one (ccache-warm, minutes), then 3 known-bad and
 * 3 control attempts at the entry's time factor. Expect about 20–30 min on 2 cores under TCG.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../harness/config/index.ts";
import { PROOF_FILE, planProofs, proveExitCode, proveScenario, type ProofRecord } from "../../harness/prove/index.ts";
import { ensureKernelBuildHost } from "../../harness/cli/host-requirements.ts";
import { tempStore, testBus, workload } from "./setup.ts";

describe.skipIf(!process.env.HANGAR_E2E_KERNEL)("hangar prove (HANGAR_E2E_KERNEL=1)", () => {
  it(
    "nfs-localio-xfs-enospc: the nfsiod kernel reproduces the flush-dependency WARNING in ≥2 of 3, the stock kernel stays clean in 3 of 3",
    async () => {
      const { bus } = testBus("prove");
      const missing = await ensureKernelBuildHost({ debianSource: true, git: false }, (l) => process.stderr.write(`[prove] install: ${l}\n`));
      expect(missing).toEqual([]);
      const sc = await loadScenario(workload("nfs-localio-xfs-enospc.yaml"));
      const plans = await planProofs(sc);
      const store = await tempStore();
      const proof = await proveScenario(plans, { sink: bus, store });
      const rec = proof.proofs[0]!;
      expect(rec.status, rec.reasons.join("; ")).toBe("proven");
      expect(rec.knownBadRuns!.rate.k).toBeGreaterThanOrEqual(2);
      expect(rec.control!.rate).toMatchObject({ k: 3, n: 3 });
      // no injection patches: the control kernel is the stock kernel
      expect(rec.stock).toBeUndefined();
      expect(rec.control!.kernel.patches).toEqual([]);
      expect(rec.knownBadRuns!.kernel.patches[0]).toMatch(/nfs-localio-writes-on-nfsiod\.patch$/);
      for (const a of rec.knownBadRuns!.outcomes.filter((o) => o.verdict === "reproduced")) {
        expect(a.matched).toContain("localio-write-flushes-xfs-sync-from-reclaim-workqueue");
      }
      // every attempt within the 10-minute budget
      for (const r of [rec.knownBadRuns!, rec.control!]) expect(r.minutesPerAttempt).toBeLessThan(10);
      // the proof record on disk is the one returned
      const onDisk = JSON.parse(await readFile(join(store.dir, sc.name, rec.knownBad, PROOF_FILE), "utf8")) as ProofRecord;
      expect(onDisk.status).toBe("proven");
      expect(proveExitCode([proof.status])).toBe(0);
    },
    90 * 60_000,
  );
});
