import { describe, expect, it } from "vitest";
import { parseDuration, parseSizeMiB } from "../../../harness/config/index.ts";

describe("units", () => {
  it("parses durations to ms", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration(12)).toBe(12_000);
    expect(parseDuration("12")).toBe(12_000);
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration("5 parsecs")).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });
  it("parses sizes to MiB", () => {
    expect(parseSizeMiB("2G")).toBe(2048);
    expect(parseSizeMiB("512M")).toBe(512);
    expect(parseSizeMiB("1GiB")).toBe(1024);
    expect(parseSizeMiB("64k")).toBe(1);
    expect(parseSizeMiB(300)).toBe(300);
    expect(parseSizeMiB("big")).toBeUndefined();
    expect(parseSizeMiB(0)).toBeUndefined();
  });
});
