import { describe, expect, it } from "vitest";
import { unlessAborted } from "../../../harness/run/index.ts";

describe("unlessAborted", () => {
  it("rejects at once when the signal already aborted, and the abandoned work failing later is not an unhandled rejection", async () => {
    const ac = new AbortController();
    ac.abort();
    let fail!: (e: Error) => void;
    const work = new Promise<never>((_, reject) => (fail = reject));
    await expect(unlessAborted(work, ac.signal)).rejects.toThrow(/aborted by watchdog/);
    fail(new Error("ssh: not connected"));
    // vitest fails the run on an unhandled rejection; give it a turn to surface.
    await new Promise((r) => setTimeout(r, 20));
  });

  it("rejects when the signal aborts while waiting, and passes results through otherwise", async () => {
    const ac = new AbortController();
    const pending = unlessAborted(new Promise(() => {}), ac.signal);
    ac.abort();
    await expect(pending).rejects.toThrow(/aborted by watchdog/);
    await expect(unlessAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
  });
});
