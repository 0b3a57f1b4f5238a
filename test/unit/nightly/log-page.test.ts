import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { renderLogPage } from "../../../harness/nightly/log-page.ts";

const fixture = join(repoRoot, "test", "fixtures", "real-vm", "debian-6.1-fsfreeze-hung-task.console.log");
const report = { signature: "hung-task:mnt_want_write|path_openat|do_filp_open", title: "INFO: task hung in mnt_want_write", startLine: 650, endLine: 679 };

describe("log pages", () => {
  it("anchors every line, marks the report's lines, escapes the text", async () => {
    const text = await readFile(fixture, "utf8");
    const html = renderLogPage(text + "<script>alert(1)</script>\n", [report], { title: "console", raw: "console.log" });
    expect(html.match(/<span id="L\d+"/g)).toHaveLength(text.split("\n").length);
    expect(html.match(/class="rep( start)?" data-report="0"/g)).toHaveLength(30);
    expect(html).toContain('<span id="L650" class="rep start" data-report="0">');
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain('<a href="#L650">INFO: task hung in mnt_want_write</a>');
  });

  it("drops terminal colour sequences (systemd's boot status) from the shown text", () => {
    const html = renderLogPage("[\x1b[0;32m  OK  \x1b[0m] Started ssh.service\n", [], { title: "console", raw: "console.log" });
    expect(html).toContain("[  OK  ] Started ssh.service");
    expect(html).not.toContain("\x1b");
  });

  it("a large log is shown around its reports only", async () => {
    const text = await readFile(fixture, "utf8");
    const html = renderLogPage(text, [report], { title: "console", raw: "console.log", windowed: true });
    expect(html).toContain('id="L450"');
    expect(html).not.toContain('id="L449"');
    expect(html).toContain('id="L836"');
    expect(html).toMatch(/… 449 line\(s\) not shown \(see the raw log\) …/);
    expect(html).toContain("only the reports and the lines around them are shown");
  });
});
