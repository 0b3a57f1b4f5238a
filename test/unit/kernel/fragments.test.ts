import { describe, expect, it } from "vitest";
import {
  DEFAULT_FRAGMENTS,
  FragmentError,
  applyOptions,
  availableFragments,
  loadFragments,
  mergeFragments,
  parseFragment,
  parseFragmentList,
  renderOptions,
} from "../../../harness/kernel/fragments.ts";

describe("parseFragment", () => {
  it("reads values, 'is not set' as n, skips comments, keeps the Help line", () => {
    const f = parseFragment(
      "t",
      ["# Help: test fragment", "", "CONFIG_A=y", "# CONFIG_B is not set", 'CONFIG_C="x y"', "CONFIG_D=17", "# a comment", "CONFIG_E=0x10", "  CONFIG_F=m  "].join("\n"),
    );
    expect(f.help).toBe("test fragment");
    expect([...f.options]).toEqual([
      ["CONFIG_A", "y"],
      ["CONFIG_B", "n"],
      ["CONFIG_C", '"x y"'],
      ["CONFIG_D", "17"],
      ["CONFIG_E", "0x10"],
      ["CONFIG_F", "m"],
    ]);
  });

  it("a repeated option keeps its last value, at its last position", () => {
    const f = parseFragment("t", "CONFIG_A=y\nCONFIG_B=y\n# CONFIG_A is not set\n");
    expect([...f.options]).toEqual([
      ["CONFIG_B", "y"],
      ["CONFIG_A", "n"],
    ]);
  });

  it("names file and line of a bad line", () => {
    expect(() => parseFragment("lockdep", "CONFIG_A=y\nPROVE_LOCKING=y\n")).toThrow(/lockdep\.config line 2: expected CONFIG_NAME=value/);
    expect(() => parseFragment("x", "CONFIG_A=\n")).toThrow(/line 1: CONFIG_A has no value/);
  });
});

describe("mergeFragments", () => {
  const a = parseFragment("a", "CONFIG_X=y\nCONFIG_Y=y\nCONFIG_BITS=15\n");
  const b = parseFragment("b", "# CONFIG_Y is not set\nCONFIG_Z=y\nCONFIG_BITS=17\nCONFIG_X=y\n");

  it("later fragments win, first-seen order is kept", () => {
    const m = mergeFragments([a, b]);
    expect([...m.options]).toEqual([
      ["CONFIG_X", "y"],
      ["CONFIG_Y", "n"],
      ["CONFIG_BITS", "17"],
      ["CONFIG_Z", "y"],
    ]);
  });

  it("reports real overrides only (same value again is not one)", () => {
    const m = mergeFragments([a, b]);
    expect(m.overrides).toEqual([
      { option: "CONFIG_Y", from: { fragment: "a", value: "y" }, to: { fragment: "b", value: "n" } },
      { option: "CONFIG_BITS", from: { fragment: "a", value: "15" }, to: { fragment: "b", value: "17" } },
    ]);
  });

  it("order matters", () => {
    expect(mergeFragments([b, a]).options.get("CONFIG_Y")).toBe("y");
  });

  it("renders .config lines", () => {
    expect(renderOptions(mergeFragments([a, b]).options)).toBe("CONFIG_X=y\n# CONFIG_Y is not set\nCONFIG_BITS=17\nCONFIG_Z=y\n");
  });
});

describe("applyOptions", () => {
  it("replaces existing lines in place (set or unset) and appends new options", () => {
    const config = "#\n# Automatically generated\n#\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=15\n";
    const opts = new Map([
      ["CONFIG_B", "y"],
      ["CONFIG_A", "n"],
      ["CONFIG_D", '"s"'],
    ]);
    expect(applyOptions(config, opts)).toBe("#\n# Automatically generated\n#\n# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_C=15\nCONFIG_D=\"s\"\n");
  });
});

describe("parseFragmentList", () => {
  it("splits, trims and drops repeats", () => {
    expect(parseFragmentList("base, lockdep,nfs,base")).toEqual(["base", "lockdep", "nfs"]);
  });
  it("rejects paths and odd names", () => {
    expect(() => parseFragmentList("base,../x")).toThrow(FragmentError);
  });
});

describe("vm-images/kconfig", () => {
  it("has every default fragment and they all parse", async () => {
    const names = await availableFragments();
    for (const d of DEFAULT_FRAGMENTS) expect(names).toContain(d);
    expect(names).toContain("kasan");
    const frags = await loadFragments(names);
    for (const f of frags) expect(f.options.size, f.name).toBeGreaterThan(0);
  });

  it("base asks for what the harness needs from a built kernel", async () => {
    const [base] = await loadFragments(["base"]);
    for (const o of ["CONFIG_IKCONFIG_PROC", "CONFIG_VIRTIO_BLK", "CONFIG_VIRTIO_NET", "CONFIG_EXT4_FS", "CONFIG_DEVTMPFS_MOUNT", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_MODULES", "CONFIG_DM_THIN_PROVISIONING", "CONFIG_MEMCG", "CONFIG_PSI", "CONFIG_KALLSYMS_ALL", "CONFIG_MAGIC_SYSRQ", "CONFIG_EVENT_TRACING"]) {
      expect(base!.options.get(o), o).toBe("y");
    }
  });

  it("unknown fragments are named with the available ones", async () => {
    await expect(loadFragments(["base", "nope"])).rejects.toThrow(/unknown fragment\(s\) nope; available in .*: base, btrfs/);
  });

  it("lockdep asks for PROVE_LOCKING and larger tables", async () => {
    const m = mergeFragments(await loadFragments([...DEFAULT_FRAGMENTS]));
    expect(m.options.get("CONFIG_PROVE_LOCKING")).toBe("y");
    expect(Number(m.options.get("CONFIG_LOCKDEP_BITS"))).toBeGreaterThan(15);
    expect(m.options.get("CONFIG_NFS_LOCALIO")).toBe("y");
  });
});
