import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { ConfigError, loadScenario, loadSuite } from "../../../harness/config/index.ts";

const workload = (n: string) => join(repoRoot, "workloads", n);

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function withText(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hangar-cfg-"));
  dirs.push(dir);
  const f = join(dir, "s.yaml");
  await writeFile(f, text);
  return f;
}

async function configError(text: string): Promise<ConfigError> {
  const f = await withText(text);
  const err = await loadScenario(f).catch((e) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.message).toContain(f);
  return err as ConfigError;
}

const base = (await readFile(workload("selftest-clean.yaml"), "utf8"));

describe("scenario files", () => {
  it("loads the shipped scenarios with units parsed", async () => {
    const s = await loadScenario(workload("selftest-hung-task.yaml"));
    expect(s.name).toBe("selftest-hung-task");
    expect(s.guest.memory).toBe(1024);
    expect(s.guest.disks).toEqual([{ name: "scratch", size: 4096 }]);
    expect(s.deadline).toBe(6 * 60_000);
    expect(s.steps.map((x) => x.phase)).toEqual(["setup", "setup", "workload"]);
    expect(s.steps[2]!.timeout).toBe(120_000);
    expect(s.expect.outcome).toBe("reproduced");
    expect(s.expect.signatures[0]!.kind).toBe("hung-task");
    const c = await loadScenario(workload("selftest-clean.yaml"));
    expect(c.expect.outcome).toBe("clean");
  });

  it("loads the default suite with scenario paths resolved", async () => {
    const suite = await loadSuite(workload("default.yaml"));
    expect(suite.scenarios).toContain(workload("selftest-hung-task.yaml"));
    for (const f of suite.scenarios) await loadScenario(f);
  });

  it("names a misspelled top-level field, its line, and the likely intended one", async () => {
    const err = await configError(base.replace("cooldown: 5s", "cooldwn: 5s"));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.field).toBe("cooldwn");
    expect(err.problems[0]!.message).toMatch(/unknown field "cooldwn"; did you mean "cooldown"\?/);
    expect(err.problems[0]!.line).toBe(base.split("\n").findIndex((l) => l.startsWith("cooldown")) + 1);
  });

  it("names a misspelled nested field with its full path", async () => {
    const err = await configError(base.replace("    timeout: 120s", "    timout: 120s"));
    expect(err.problems[0]!.field).toBe("steps[2].timout");
    expect(err.problems[0]!.message).toMatch(/did you mean "timeout"/);
  });

  it("names a misspelled field inside an expected signature", async () => {
    const hung = await readFile(workload("selftest-hung-task.yaml"), "utf8");
    const err = await configError(hung.replace("      frames: [percpu_rwsem_wait]", "      frame: [percpu_rwsem_wait]"));
    expect(err.problems.map((p) => p.field)).toContain("expect.signatures[0].frame");
  });

  it("says what was expected for a bad value", async () => {
    const e1 = await configError(base.replace("memory: 1G", "memory: lots"));
    expect(e1.problems[0]).toMatchObject({ field: "guest.memory" });
    expect(e1.problems[0]!.message).toMatch(/expected a size such as "2G"/);
    const e2 = await configError(base.replace("deadline: 6m", "deadline: forever"));
    expect(e2.problems[0]!.field).toBe("deadline");
    expect(e2.problems[0]!.message).toMatch(/expected a duration/);
    const e3 = await configError(base.replace("phase: workload", "phase: work"));
    expect(e3.problems[0]!.field).toBe("steps[2].phase");
    expect(e3.problems[0]!.message).toMatch(/setup|workload|cooldown/);
  });

  it("reports a missing required field", async () => {
    const err = await configError("name: x\nexpect: { outcome: clean, signatures: [] }\n");
    expect(err.problems.map((p) => p.field)).toContain("steps");
  });

  it("rejects YAML syntax errors with a line", async () => {
    const err = await configError("name: x\nsteps: [\n");
    expect(err.problems[0]!.field).toBe("(yaml syntax)");
  });

  it("requires signatures when a scenario expects to reproduce", async () => {
    const err = await configError(base.replace("outcome: clean", "outcome: reproduced"));
    expect(err.problems[0]!.field).toBe("expect.signatures");
  });

  it("rejects duplicate step names", async () => {
    const err = await configError(base.replace("name: upper-xfs-on-loop", "name: lower-xfs"));
    expect(err.problems[0]!.message).toMatch(/duplicate step name/);
  });

  it("names an unreadable file", async () => {
    const err = await loadScenario("/nonexistent/x.yaml").catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/\/nonexistent\/x.yaml/);
  });
});
