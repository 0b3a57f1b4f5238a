/**
 * Bad scenario files fail at load, before any guest starts: a ConfigError (exit 2) that names
 * the file and the field. Each case is one way a file can be wrong, or hostile.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { exitCodeOf } from "../../../harness/common/index.ts";
import { ConfigError, loadConfigFile, loadScenario, MAX_FILE_BYTES, parseTimeFactor, scaleDurations, type HostLimits } from "../../../harness/config/index.ts";

const dir = await mkdtemp(join(tmpdir(), "hangar-hostile-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
let n = 0;
async function file(text: string | Buffer): Promise<string> {
  const f = join(dir, `s${n++}.yaml`);
  await writeFile(f, text);
  return f;
}

const HOST: HostLimits = { memoryMiB: 8192, diskMiB: 100 * 1024, diskPath: "/results" };

function scenario(over: Record<string, unknown> = {}, step: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "t",
    guest: { memory: "1G", disks: [{ name: "scratch", size: "4G" }] },
    steps: [{ name: "s", run: "true", ...step }],
    expect: { outcome: "clean", signatures: [] },
    ...over,
  };
}

/** Load `text`; expect a ConfigError naming the file; return its message. */
async function rejects(text: string | Buffer, host: HostLimits = HOST): Promise<string> {
  const f = await file(text);
  const err = await loadScenario(f, { host }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect(exitCodeOf(err)).toBe(2);
  const msg = (err as Error).message;
  expect(msg).toContain(f);
  return msg;
}

describe("a valid file still loads", () => {
  it("the base scenario", async () => {
    const s = await loadScenario(await file(stringify(scenario())), { host: HOST });
    expect(s.guest.disks[0]!.name).toBe("scratch");
  });
});

describe("disk names", () => {
  it("rejects names QEMU's drive id cannot carry ('.')", async () => {
    expect(await rejects(stringify(scenario({ guest: { disks: [{ name: "a.b", size: "1G" }] } })))).toMatch(/guest\.disks\[0\]\.name.*QEMU drive id/);
  });
  it("rejects names that would be cut (and could collide) in the 20-character drive id", async () => {
    const disks = [{ name: "scratch-disk-number-1", size: "1G" }, { name: "scratch-disk-number-2", size: "1G" }];
    const msg = await rejects(stringify(scenario({ guest: { disks } })));
    expect(msg).toMatch(/guest\.disks\[0\]\.name.*at most 18/);
    expect(msg).toMatch(/guest\.disks\[1\]\.name/);
  });
});

describe("sizes beyond the host", () => {
  it("guest memory above the host's RAM", async () => {
    expect(await rejects(stringify(scenario({ guest: { memory: "64G" } })))).toMatch(/guest\.memory.*more than this host's RAM \(8\.0 GiB\)/);
  });
  it("a disk larger than the results filesystem, and disks that add up to more", async () => {
    expect(await rejects(stringify(scenario({ guest: { disks: [{ name: "big", size: "200G" }] } })))).toMatch(/guest\.disks\[0\]\.size.*more than the whole filesystem of \/results/);
    const disks = [1, 2, 3].map((i) => ({ name: `d${i}`, size: "40G" }));
    expect(await rejects(stringify(scenario({ guest: { disks } })))).toMatch(/guest\.disks.*add up to 120\.0 GiB/);
  });
  it("absurd sizes", async () => {
    expect(await rejects(stringify(scenario({ guest: { disks: [{ name: "x", size: "99999999T" }] } })))).toMatch(/guest\.disks\[0\]\.size.*at most 16T/);
  });
});

describe("durations", () => {
  it("a deadline, timeout or cooldown of 0", async () => {
    expect(await rejects(stringify(scenario({ deadline: 0 })))).toMatch(/deadline.*longer than 0/);
    expect(await rejects(stringify(scenario({ cooldown: "0s" })))).toMatch(/cooldown.*longer than 0/);
    expect(await rejects(stringify(scenario({}, { timeout: "0ms" })))).toMatch(/steps\[0\]\.timeout.*longer than 0/);
  });
  it("beyond Node's timer range (deadline: 1000h would fire after 1 ms)", async () => {
    expect(await rejects(stringify(scenario({ deadline: "1000h" })))).toMatch(/deadline.*at most 24\.9 d|deadline.*at most .*longest wait a timer can keep/);
    expect(await rejects(stringify(scenario({}, { timeout: "600h" })))).toMatch(/steps\[0\]\.timeout.*longest wait/);
  });
  it("a workload so long that its derived step deadline overflows, also after --time-factor", async () => {
    const sc = scenario({ storage: [{ name: "fs", on: "scratch", type: "xfs" }] }, {});
    (sc.steps as unknown[])[0] = { name: "w", fio: { layer: "fs", duration: "400h" } };
    expect(await rejects(stringify(sc))).toMatch(/steps\[0\]\.fio\.duration.*too long/);
    (sc.steps as unknown[])[0] = { name: "w", fio: { layer: "fs", duration: "10h" } };
    const f = await file(stringify(sc));
    const ok = await loadScenario(f, { host: HOST });
    const err = (() => {
      try {
        scaleDurations(ok, 100);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`${f}[^]*steps\\[0\\]\\.fio\\.duration.*time factor 100`));
  });
  it("a run script's duration: too long, or on a workload step", async () => {
    expect(await rejects(stringify(scenario({}, { duration: "400h" })))).toMatch(/steps\[0\]\.duration.*too long/);
    const sc = scenario({ storage: [{ name: "fs", on: "scratch", type: "xfs" }] }, {});
    (sc.steps as unknown[])[0] = { name: "w", duration: "1m", fio: { layer: "fs", duration: "1m" } };
    expect(await rejects(stringify(sc))).toMatch(/steps\[0\]\.duration.*belongs to a `run` step/);
  });
});

describe("names and module names", () => {
  it("names too long for a path", async () => {
    expect(await rejects(stringify(scenario({ name: "x".repeat(300) })))).toMatch(/- name \(line 1\): expected at most 64 characters/);
  });
  it("kernel.modules entries that are not module names", async () => {
    const msg = await rejects(stringify(scenario({ kernel: { modules: ["hangar-lockdep.abba", "../x"] } })));
    expect(msg).toMatch(/kernel\.modules\[0\].*kernel module name/);
    expect(msg).toMatch(/kernel\.modules\[1\]/);
  });
});

describe("hostile YAML", () => {
  it("NUL bytes in a step script", async () => {
    const msg = await rejects(stringify(scenario({}, { run: "echo a\0b" })));
    expect(msg).toMatch(/steps\[0\]\.run \(line \d+\): contains a NUL byte/);
  });
  it("an alias bomb: refused quickly, naming the cause", async () => {
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]`);
    // Expanded, this is 10^12 strings: without the alias cap the load never ends.
    const msg = await rejects(lines.join("\n") + "\nname: t\n");
    expect(msg).toMatch(/\(yaml\).*alias/);
  });
  it("a file over the size cap: refused before it is read", async () => {
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, "#");
    const msg = await rejects(big);
    expect(msg).toMatch(/\(file\).*at most 1048576 bytes/);
  });
  // How fast: bench/config-load.ts (the parse is linear: yaml's quadratic duplicate-key check is off).
  it("4,000 unknown keys: the message is truncated", async () => {
    const sc = scenario();
    for (let i = 0; i < 4000; i++) sc[`bogus_key_${i}`] = i;
    const msg = await rejects(stringify(sc));
    expect(msg).toMatch(/bogus_key_0 .*|"bogus_key_0"/);
    expect(msg).toMatch(/… and 3980 more problems/);
    expect(msg.length).toBeLessThan(20_000);
  });
  it("a very long unknown key does not make the message huge", async () => {
    const sc = scenario();
    sc["k".repeat(200_000)] = 1;
    const msg = await rejects(stringify(sc));
    expect(msg.length).toBeLessThan(5_000);
  });
});

describe("duplicate keys (yaml's own check is off: it is quadratic)", () => {
  it("are still an error, naming the key and its line", async () => {
    const msg = await rejects("name: t\nsteps: []\nname: u\n");
    expect(msg).toMatch(/- name \(line 3\): this key is given twice/);
    const nested = await rejects("name: t\nguest:\n  memory: 1G\n  memory: 2G\n");
    expect(nested).toMatch(/guest\.memory \(line 4\)/);
  });
});

describe("loadConfigFile", () => {
  it("reads a file once and tells a suite from a scenario", async () => {
    const sc = await file(stringify(scenario()));
    const r = await loadConfigFile(sc, { host: HOST });
    expect(r.kind === "scenario" && r.scenario.name).toBe("t");
    const suite = await file(stringify({ name: "s", scenarios: ["a.yaml"] }));
    const r2 = await loadConfigFile(suite, { host: HOST });
    expect(r2.kind === "suite" && r2.suite.scenarios).toEqual([join(dir, "a.yaml")]);
  });
});

describe("parseTimeFactor (--time-factor)", () => {
  it("accepts numbers above 0 up to 100, like the suite's time_factor", () => {
    expect(parseTimeFactor("0.1")).toBe(0.1);
    expect(parseTimeFactor("100")).toBe(100);
    expect(parseTimeFactor(" 2 ")).toBe(2);
  });
  it("rejects anything else with a usage error naming the option", () => {
    for (const bad of ["0", "-1", "101", "1e9", "abc", "", "Infinity", "NaN", "0x10"]) {
      let err: unknown;
      try {
        parseTimeFactor(bad);
      } catch (e) {
        err = e;
      }
      expect(exitCodeOf(err), bad).toBe(2);
      expect((err as Error).message).toMatch(/--time-factor.*above 0 and at most 100/);
    }
  });
});
