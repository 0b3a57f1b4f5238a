import { describe, expect, it } from "vitest";
import { KernelIdError, resolveIdPrefix } from "../../../harness/kernel/id-prefix.ts";

const ids = ["3fa2b1c0d9e8", "3fa29999aaaa", "77aa00112233"];

describe("resolveIdPrefix", () => {
  it("takes an exact id or a unique prefix (any case)", () => {
    expect(resolveIdPrefix("77aa00112233", ids)).toBe("77aa00112233");
    expect(resolveIdPrefix("77", ids)).toBe("77aa00112233");
    expect(resolveIdPrefix("3FA2B", ids)).toBe("3fa2b1c0d9e8");
  });

  it("an ambiguous prefix names the candidates", () => {
    expect(() => resolveIdPrefix("3fa2", ids)).toThrow(/"3fa2" matches 2 kernels \(3fa2b1c0d9e8, 3fa29999aaaa\); give more characters/);
  });

  it("an unknown id names the built kernels, or says none is built", () => {
    expect(() => resolveIdPrefix("abc", ids)).toThrow(/no kernel "abc" in the cache; built kernels: 3fa2b1c0d9e8, 3fa29999aaaa, 77aa00112233/);
    expect(() => resolveIdPrefix("abc", [])).toThrow(/no kernel is built yet \(hangar kernel build\)/);
  });

  it("rejects what cannot be an id", () => {
    expect(() => resolveIdPrefix("bzImage", ids)).toThrow(KernelIdError);
  });
});
