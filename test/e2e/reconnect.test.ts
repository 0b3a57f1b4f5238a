/**
 * The kernel-log follower survives a dropped SSH connection: the guest's sshd session process
 * is killed mid-attempt (every channel on it dies, the follower's too); the heartbeat re-makes
 * the connection, the machine restarts the follower, and the records printed while it was down
 * and the hung-task report printed after the drop all reach dmesg.log, once each. The step
 * that was running when the connection dropped is attached again and ends with its own status.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { EventBus } from "../../harness/common/index.ts";
import { scenarioSchema, type Scenario } from "../../harness/config/index.ts";
import { runAttempt, type BootPlan } from "../../harness/run/index.ts";
import { liveChildren } from "../../harness/vm/index.ts";
import { realBootPlan, tempStore } from "./setup.ts";

let plan: BootPlan;
let bus: EventBus;
beforeAll(async () => {
  ({ plan, bus } = await realBootPlan(undefined, "e2e reconnect"));
}, 40 * 60_000);

const MARK = "hangar-e2e: printed while ssh was down";
const SURVIVED = "hangar-e2e: the step outlived its connection";

describe("kernel log across an SSH reconnect", () => {
  it("keeps following after the guest's sshd session is killed; nothing lost, nothing twice", async () => {
    const sc: Scenario = {
      ...scenarioSchema.parse({
        name: "ssh-drop",
        guest: { memory: "1G", disks: [{ name: "scratch", size: "1G" }] },
        detectors: { hung_task_timeout_secs: 10 },
        steps: [
          { name: "fs", phase: "setup", timeout: "60s", run: 'mkfs.xfs -q -f "$HANGAR_DISK_SCRATCH" && mkdir -p /mnt/t && mount "$HANGAR_DISK_SCRATCH" /mnt/t' },
          {
            name: "drop-ssh-then-hang-a-writer",
            timeout: "60s",
            // Everything runs detached (setsid, no stdio), so killing the session does not kill it.
            run: [
              // "[n]otty": the pattern must not match this shell's own command line.
              `setsid sh -c 'sleep 3; pkill -KILL -f "sshd: root@[n]otty"; sleep 2; echo "${MARK}" > /dev/kmsg' </dev/null >/dev/null 2>&1 &`,
              "setsid sh -c 'sleep 4; fsfreeze -f /mnt/t; dd if=/dev/zero of=/mnt/t/f bs=4k count=1 conv=fsync status=none' </dev/null >/dev/null 2>&1 &",
              "setsid sh -c 'sleep 40; fsfreeze -u /mnt/t' </dev/null >/dev/null 2>&1 &",
              // The step itself outlives the drop: it is attached again and ends with its own status.
              "sleep 10",
              `echo "${SURVIVED}"`,
            ].join("\n"),
          },
        ],
        cooldown: "45s",
        deadline: "6m",
        expect: { outcome: "reproduced", signatures: [{ name: "frozen-writer", kind: "hung-task", task: "^dd$" }] },
      }),
      file: "(inline)",
    };
    const store = await tempStore();
    const r = await runAttempt({ scenario: sc, attempt: 1, dir: store.attemptDir(sc.name, 1), plan, sink: bus });
    expect(r.verdict, r.reason).toBe("reproduced");
    expect(r.kernelLog?.restarts).toBeGreaterThanOrEqual(1);
    const step = r.steps.find((s) => s.name === "drop-ssh-then-hang-a-writer");
    expect(step).toMatchObject({ exitCode: 0, timedOut: false });
    expect(step?.reattached).toBeGreaterThanOrEqual(1);
    expect(step?.stdoutTail).toContain(SURVIVED);
    const dmesg = await readFile(join(r.dir, "dmesg.log"), "utf8");
    // Printed while the follower was down: recovered from the ring buffer, exactly once.
    expect(dmesg.split("\n").filter((l) => l.includes(MARK))).toHaveLength(1);
    // Printed after the drop: the hung-task report, in the SSH kernel log (not only on the console).
    expect(dmesg).toMatch(/INFO: task dd:\d+ blocked for more than/);
    // No record twice: the boot banner appears once.
    expect(dmesg.split("\n").filter((l) => /\] Linux version /.test(l))).toHaveLength(1);
    const verdict = JSON.parse(await readFile(join(r.dir, "verdict.json"), "utf8"));
    expect(verdict.kernelLog.restarts).toBeGreaterThanOrEqual(1);
    expect(liveChildren()).toEqual([]);
  }, 10 * 60_000);
});
