import { describe, expect, it } from "vitest";
import { DeadlineError, retryUntil, sleep, withDeadline } from "../../../harness/common/index.ts";

describe("deadlines", () => {
  it("withDeadline rejects a promise that never settles, and runs the timeout hook", async () => {
    let hook = false;
    const never = new Promise<never>(() => {});
    await expect(withDeadline(never, 30, "never", () => (hook = true))).rejects.toBeInstanceOf(DeadlineError);
    expect(hook).toBe(true);
  });

  it("withDeadline passes values and errors through", async () => {
    await expect(withDeadline(Promise.resolve(7), 1000, "x")).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error("boom")), 1000, "x")).rejects.toThrow("boom");
  });

  it("retryUntil retries with backoff until success", async () => {
    let n = 0;
    const v = await retryUntil("flaky", async () => (++n < 3 ? Promise.reject(new Error("no")) : "yes"), { deadlineMs: 5_000, tryMs: 1_000, initialDelayMs: 5 });
    expect(v).toBe("yes");
    expect(n).toBe(3);
  });

  it("retryUntil gives up at its deadline with the last error, even when each try hangs", async () => {
    const t0 = Date.now();
    const err = await retryUntil("hangs", () => new Promise<never>(() => {}), { deadlineMs: 200, tryMs: 50, initialDelayMs: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(String(err.message)).toMatch(/hangs/);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("sleep ends early on abort", async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 20);
    await sleep(10_000, ac.signal);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
