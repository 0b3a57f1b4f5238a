import { describe, expect, it } from "vitest";
import { attemptOn, builtKernel, PER_SCENARIO_MS } from "./setup.ts";

// Report 004's known-bad kernel (the default fragments plus the nfsiod patch). In CI .ci/run
// builds it after the default kernel, alongside the other tests; this file waits for it.
const PATCH = "nfs-localio-writes-on-nfsiod.patch";
const patched = await builtKernel("all", (k) => k.meta.fragments.includes("nfs") && k.meta.patches.some((p) => p.file.endsWith(PATCH)));

describe.skipIf(!patched)(`report 004 on the kernel with ${PATCH} (${patched?.meta.id ?? "none cached"})`, () => {
  it("nfs-localio-xfs-enospc: reproduced with the check_flush_dependency WARNING (nfsiod flushing xfs-sync)", async () => {
    const r = await attemptOn(patched!, "nfs-localio-xfs-enospc", 0.25);
    expect(r.storage.find((l) => l.type === "nfs-localio")?.output?.facts.localio).toBe("in-use");
    expect(r.verdict, r.reason).toBe("reproduced");
    const w = r.reports.find((x) => x.kind === "warning" && x.warning?.flushDependency)!;
    expect(w.title).toBe("WARNING in check_flush_dependency");
    expect(w.warning?.flushDependency).toMatchObject({ flushingWq: "nfsiod", flushedWq: expect.stringMatching(/^xfs-sync/) });
  }, PER_SCENARIO_MS);
});
