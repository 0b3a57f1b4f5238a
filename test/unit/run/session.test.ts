/**
 * startSession (`hangar ssh`, the boot benchmarks) on a fake machine: a guest that does not come
 * up is booted afresh once; then it is an error that says what the kernel printed, as an attempt's
 * verdict does.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { EventBus, setTimeScale } from "../../../harness/common/index.ts";
import { scenarioSchema } from "../../../harness/config/index.ts";
import { startSession, type BootPlan } from "../../../harness/run/index.ts";
import { fakeFactory } from "../../fake/machine.ts";

let root: string;
beforeAll(async () => {
  setTimeScale(0.1);
  root = await mkdtemp(join(tmpdir(), "hangar-session-"));
});
afterAll(async () => {
  setTimeScale(1);
  await rm(root, { recursive: true, force: true });
});

const plan: BootPlan = {
  accel: "tcg",
  qemuVersion: "fake",
  kernel: { source: "build", kernel: "/fake/bzImage", version: "6.12.0-fake" },
  image: { id: "fake-image", rootfs: "/fake/rootfs.img", sshKey: "/fake/key", bootArgs: [] },
};
const scenario = { ...scenarioSchema.parse({ name: "s", steps: [{ name: "x", run: "true" }], deadline: "300ms", expect: { outcome: "clean", signatures: [] } }), file: "(inline)" };

const PANIC = ["Oops: int3: 0000 [#1] SMP", "RIP: 0010:sched_clock_cpu+0x5/0x180", "Kernel panic - not syncing: Fatal exception in interrupt"];

it("a guest that oopses at boot once: it is booted afresh, the failed boot's console set aside and named in a warning", async () => {
  const { factory, machines } = fakeFactory({ panicsAtBoot: 1, panicConsole: PANIC });
  const bus = new EventBus();
  const warnings: string[] = [];
  bus.on((e) => e.type === "log" && e.level === "warn" && warnings.push(e.message));
  const dir = await mkdtemp(join(root, "a-"));
  const s = await startSession({ scenario, plan, sink: bus, dir, machineFactory: factory });
  expect((await s.ctx.exec("uname -r", 1000)).stdout).toBe("6.12.0-fake\n");
  await s.close();
  expect(machines).toHaveLength(2);
  expect(warnings).toContainEqual(expect.stringMatching(/did not come up \(boot aborted: the machine exited \(code 0\) \(the console shows: int3 in sched_clock_cpu\)\); booting it afresh \(the failed boot's files: .*boot-failure-1\)$/));
  expect(await readFile(join(dir, "boot-failure-1", "console.log"), "utf8")).toContain("Oops: int3");
});

it("a kernel that cannot boot: after the second boot, an error naming the boot failure, the kernel's report and the console; both machines torn down", async () => {
  const { factory, machines } = fakeFactory({ panicsAtBoot: 2, panicConsole: ["Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"] });
  const dir = await mkdtemp(join(root, "b-"));
  const err = await startSession({ scenario, plan, sink: new EventBus(), dir, machineFactory: factory }).then(() => undefined, (e: Error) => e);
  expect(err?.message).toMatch(/^boot aborted: the machine exited \(code 0\) \(the console shows: kernel panic: VFS: Unable to mount root fs on unknown-block[^)]*\)\) \(console: .*console\.log\)$/);
  expect(machines.map((m) => m.record.teardowns.length)).toEqual([1, 1]);
});

it("an interrupted session whose machine went down is not booted afresh (Ctrl-C kills QEMU under the boot)", async () => {
  const { factory, machines } = fakeFactory({ panicsAtBoot: 1, panicConsole: PANIC });
  const dir = await mkdtemp(join(root, "d-"));
  const ac = new AbortController();
  ac.abort();
  const err = await startSession({ scenario, plan, sink: new EventBus(), dir, machineFactory: factory, signal: ac.signal }).then(() => undefined, (e: Error) => e);
  expect(err?.message).toMatch(/^boot aborted: the machine exited/);
  expect(machines).toHaveLength(1);
});

it("a guest that does not come up and printed no report: the error has no 'console shows'", async () => {
  const { factory } = fakeFactory({ neverBoots: true });
  const dir = await mkdtemp(join(root, "c-"));
  const err = await startSession({ scenario, plan, sink: new EventBus(), dir, machineFactory: factory }).then(() => undefined, (e: Error) => e);
  expect(err?.message).toMatch(/^boot (failed|aborted): /);
  expect(err?.message).not.toContain("console shows");
});
