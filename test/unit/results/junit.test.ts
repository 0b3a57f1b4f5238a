/**
 * junit.xml is read by CI systems: it must be well-formed XML whatever a guest printed. Checked
 * with a real XML parser (xmllint, from libxml2-utils) and read back field by field.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { toJUnit } from "../../../harness/results/junit.ts";
import type { RunSummary, ScenarioSummary } from "../../../harness/results/types.ts";

const dir = await mkdtemp(join(tmpdir(), "hangar-junit-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** xmllint --noout: exit 0 only for a well-formed document; its complaints otherwise. */
async function wellFormed(xml: string): Promise<string> {
  const f = join(dir, `j${Math.random().toString(36).slice(2)}.xml`);
  await writeFile(f, xml);
  const r = await execa("xmllint", ["--noout", f], { reject: false, timeout: 30_000 });
  return r.exitCode === 0 ? "ok" : `${r.stderr}`;
}

/** One value read back by xmllint's XPath. */
async function xpath(xml: string, expr: string): Promise<string> {
  const f = join(dir, `x${Math.random().toString(36).slice(2)}.xml`);
  await writeFile(f, xml);
  const r = await execa("xmllint", ["--xpath", expr, f], { timeout: 30_000 });
  return r.stdout;
}

function scenario(name: string, over: Partial<ScenarioSummary> = {}): ScenarioSummary {
  return { name, file: `/w/${name}.yaml`, expected: "reproduced", outcome: "reproduced", met: true, attempts: [], reproduced: 1, durationMs: 1500, ...over };
}

function run(scenarios: ScenarioSummary[]): RunSummary {
  return {
    runId: "r", suite: "default", startedAt: "2026-12-01T00:00:00.000Z", finishedAt: "2026-12-01T00:01:00.000Z", dir: "/r",
    host: { accel: "tcg", qemu: "8", hostname: "h" }, kernel: { source: "image", path: "/k" }, image: { id: "i", path: "/i" }, scenarios,
  } as RunSummary;
}

/** Everything a kernel log line can hold that XML 1.0 cannot, plus markup. */
const HOSTILE = `U+FFFE:\uFFFE U+FFFF:\uFFFF NUL:\u0000 BEL:\u0007 ESC:\u001b[31m lone:\uD800 low:\uDC00 <tag> & "q" 'a' ]]> \r\n tab:\t é 🦀`;

describe("toJUnit", () => {
  it("stays well-formed whatever bytes a guest printed", async () => {
    const xml = toJUnit(
      run([
        scenario(`name ${HOSTILE}`, {
          outcome: "unexpected",
          met: false,
          attempts: [{ attempt: 1, verdict: "unexpected", reason: HOSTILE, dir: "/d", durationMs: 1, reports: [{ kind: "warning", title: `WARNING in ${HOSTILE}`, signature: "s", count: 1, corrupted: false }] }],
        }),
        scenario("b", { outcome: "infra", met: false, reason: `boot failed: ${HOSTILE}` }),
        scenario("c", { outcome: "skipped", met: false, reason: `needs CONFIG_X ${HOSTILE}` }),
      ]),
    );
    expect(await wellFormed(xml)).toBe("ok");
    // The old string escaping kept U+FFFE: the check above must be able to fail.
    expect(await wellFormed(`<?xml version="1.0" encoding="UTF-8"?><a>\uFFFE</a>`)).not.toBe("ok");
  });

  it("reads back: counts, names, messages (markup intact, invalid characters replaced)", async () => {
    const xml = toJUnit(
      run([
        scenario("ok"),
        scenario("miss", { outcome: "clean", met: false, attempts: [{ attempt: 1, verdict: "clean", dir: "/d", durationMs: 1, reports: [] }] }),
        scenario("broke", { outcome: "infra", met: false, reason: "a <b> & c\uFFFE" }),
        scenario("skip", { outcome: "skipped", met: false, reason: "needs CONFIG_PROVE_LOCKING" }),
      ]),
    );
    expect(await wellFormed(xml)).toBe("ok");
    expect(await xpath(xml, "string(/testsuites/testsuite/@tests)")).toBe("4");
    expect(await xpath(xml, "string(/testsuites/testsuite/@failures)")).toBe("1");
    expect(await xpath(xml, "string(/testsuites/testsuite/@errors)")).toBe("1");
    expect(await xpath(xml, "string(/testsuites/testsuite/@skipped)")).toBe("1");
    expect(await xpath(xml, "string(//testcase[@name='miss']/failure/@message)")).toBe("expected reproduced, got clean");
    expect(await xpath(xml, "string(//testcase[@name='broke']/error/@message)")).toBe("a <b> & c\uFFFD");
    expect(await xpath(xml, "string(//testcase[@name='skip']/skipped/@message)")).toBe("needs CONFIG_PROVE_LOCKING");
    expect(await xpath(xml, "string(//testcase[@name='ok']/@time)")).toBe("1.5");
    expect(await xpath(xml, "count(//testcase[@name='ok']/*)")).toBe("1"); // system-out only
  });
});
