import { describe, expect, it } from "vitest";
import { describeMismatches, readConfigValues, verifyConfig } from "../../../harness/kernel/verify-config.ts";

const config = [
  "#",
  "# Automatically generated file; DO NOT EDIT.",
  "#",
  "CONFIG_A=y",
  "# CONFIG_B is not set",
  "CONFIG_LOCKDEP_BITS=17",
  'CONFIG_LOCALVERSION="-hangar"',
  "CONFIG_PHYSICAL_START=0x1000000",
  "CONFIG_M=m",
].join("\n");

describe("readConfigValues", () => {
  it("reads set and unset options as .config spells them", () => {
    const v = readConfigValues(config);
    expect(v.get("CONFIG_A")).toBe("y");
    expect(v.get("CONFIG_B")).toBe("n");
    expect(v.get("CONFIG_LOCALVERSION")).toBe('"-hangar"');
    expect(v.has("CONFIG_Z")).toBe(false);
  });
});

describe("verifyConfig", () => {
  it("accepts options set as asked; n is satisfied by 'is not set' and by absence", () => {
    const wanted = new Map([
      ["CONFIG_A", "y"],
      ["CONFIG_B", "n"],
      ["CONFIG_ABSENT", "n"],
      ["CONFIG_LOCKDEP_BITS", "17"],
      ["CONFIG_LOCALVERSION", '"-hangar"'],
      ["CONFIG_PHYSICAL_START", "0x1000000"],
      ["CONFIG_M", "m"],
    ]);
    expect(verifyConfig(wanted, config)).toEqual([]);
  });

  it("compares numbers by value", () => {
    expect(verifyConfig(new Map([["CONFIG_PHYSICAL_START", "16777216"]]), config)).toEqual([]);
  });

  it("lists every option that did not stick with what it got", () => {
    const wanted = new Map([
      ["CONFIG_A", "y"],
      ["CONFIG_B", "y"],
      ["CONFIG_MISSING", "y"],
      ["CONFIG_LOCKDEP_BITS", "18"],
      ["CONFIG_A_OFF", "n"],
      ["CONFIG_M", "y"],
    ]);
    const bad = verifyConfig(wanted, config + "\nCONFIG_A_OFF=y\n");
    expect(bad).toEqual([
      { option: "CONFIG_B", wanted: "y", got: "n" },
      { option: "CONFIG_MISSING", wanted: "y", got: "n" },
      { option: "CONFIG_LOCKDEP_BITS", wanted: "18", got: "17" },
      { option: "CONFIG_A_OFF", wanted: "n", got: "y" },
      { option: "CONFIG_M", wanted: "y", got: "m" },
    ]);
    expect(describeMismatches(bad)).toContain("CONFIG_MISSING: wanted y, got not set");
    expect(describeMismatches(bad)).toContain("CONFIG_A_OFF: wanted not set, got y");
  });
});
