import { describe, expect, it } from "vitest";
import { missingOptions, parseKernelConfig } from "../../../harness/guest/index.ts";

describe("kernel config", () => {
  const cfg = parseKernelConfig(
    ["# CONFIG_PROVE_LOCKING is not set", "CONFIG_DETECT_HUNG_TASK=y", "CONFIG_XFS_FS=m", 'CONFIG_LOCALVERSION="-x"', "CONFIG_NFS_LOCALIO=n"].join("\n"),
  );
  it("parses values", () => {
    expect(cfg.get("CONFIG_DETECT_HUNG_TASK")).toBe("y");
    expect(cfg.get("CONFIG_LOCALVERSION")).toBe("-x");
    expect(cfg.has("CONFIG_PROVE_LOCKING")).toBe(false);
  });
  it("reports unset and =n options as missing, =y and =m as present", () => {
    expect(missingOptions(cfg, ["CONFIG_DETECT_HUNG_TASK", "CONFIG_XFS_FS", "CONFIG_PROVE_LOCKING", "CONFIG_NFS_LOCALIO"])).toEqual([
      "CONFIG_PROVE_LOCKING",
      "CONFIG_NFS_LOCALIO",
    ]);
  });
});
