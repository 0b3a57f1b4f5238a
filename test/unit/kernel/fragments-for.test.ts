import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { fragmentsFor } from "../../../harness/cli/kernel.ts";

const workload = (n: string) => join(repoRoot, "workloads", n);

describe("hangar kernel build --for", () => {
  it("takes the union of the fragments the scenarios name, in the default order", async () => {
    expect(await fragmentsFor([workload("selftest-lockdep.yaml")])).toEqual(["base", "hung", "lockdep"]);
    expect(await fragmentsFor([workload("nfs-localio-xfs-enospc.yaml"), workload("btrfs-zstd-on-btrfs-loop.yaml")])).toEqual(["base", "hung", "lockdep", "xfs", "btrfs", "nfs"]);
    expect(await fragmentsFor([workload("default.yaml")])).toEqual(["base", "hung", "lockdep", "xfs", "btrfs", "nfs"]);
  });

  it("refuses scenarios that name no fragments", async () => {
    await expect(fragmentsFor([workload("selftest-clean.yaml")])).rejects.toThrow(/no scenario names kernel.fragments/);
  });
});
