/** The kernel builder's deadlines follow --time-scale like the orchestrator's (a busy host stretches both). */
import { afterAll, expect, it } from "vitest";
import { setTimeScale } from "../../../harness/common/index.ts";
import { kernelTimeout } from "../../../harness/kernel/tools.ts";

afterAll(() => setTimeScale(1));

it("kernelTimeout scales each build step's deadline, and stays within what a timer can wait", () => {
  setTimeScale(1);
  const patch = kernelTimeout("patch");
  const build = kernelTimeout("build");
  expect(patch).toBe(5 * 60_000);
  setTimeScale(2);
  expect(kernelTimeout("patch")).toBe(2 * patch);
  setTimeScale(100);
  expect(kernelTimeout("build")).toBe(Math.min(2 ** 31 - 1, 100 * build));
});
