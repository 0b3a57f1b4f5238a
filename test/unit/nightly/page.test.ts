/**
 * The history page and a night's page in a real headless Chromium (Debian's `chromium` package,
 * driven by playwright-core): grid cells and links, following a report link to its highlighted lines
 * in the console log page, screenshots under the test's results folder (results/test-nightly-page/).
 */
import { existsSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultsDir } from "../../../harness/common/index.ts";
import { nightId, synthNight } from "./synthetic.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let browser: Browser;
let root: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (hangar doctor --fix)`);
  // One folder, emptied each run: the screenshots of the last run stay for the test log.
  root = join(resultsDir(), "test-nightly-page");
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  // Six nights on two kernels: quiet, then the canary regresses on debian (night 4), stays (night 5);
  // "lockdep" shows its cycle in every attempt; one infra night for "quiet" on mainline.
  for (let i = 0; i < 6; i++) {
    const canary = i < 4 ? (["clean", "clean"] as const) : (["hung", "hung"] as const);
    await synthNight(root, {
      runId: nightId(i),
      ...(i ? { baseline: nightId(i - 1) } : {}),
      kernels: [
        { key: "debian", version: "6.1.0-28-cloud-amd64", cells: [{ scenario: "canary", attempts: [...canary] }, { scenario: "lockdep", attempts: ["lockdep", "lockdep"] }] },
        { key: "mainline", version: "6.12.117-hangar", cells: [{ scenario: "canary", attempts: ["clean", "clean"] }, { scenario: "quiet", attempts: i === 2 ? ["infra", "infra"] : ["clean", "clean"] }] },
      ],
    });
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe("results/index.html and a night's page in Chromium", () => {
  it("shows the grid, follows a cell to its night and a report to its highlighted console lines", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(20_000);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(root, "index.html")).href);

    // One grid per kernel, one row per scenario, one column per night (plus name and sparkline).
    expect(await page.locator("table.grid").evaluateAll((ts) => ts.map((t) => t.getAttribute("data-kernel")))).toEqual(["debian", "mainline"]);
    const debianRows = page.locator('table.grid[data-kernel="debian"] tr[data-scenario]');
    expect(await debianRows.evaluateAll((rs) => rs.map((r) => r.getAttribute("data-scenario")))).toEqual(["canary", "lockdep"]);
    const canary = page.locator('table.grid[data-kernel="debian"] tr[data-scenario="canary"]');
    expect(await canary.locator("td.cell").count()).toBe(6);
    expect(await canary.locator("td.cell").evaluateAll((cs) => cs.map((c) => c.getAttribute("data-state")))).toEqual(["first", "unchanged", "unchanged", "unchanged", "regression", "unchanged"]);

    // The regression night's cell: its colour, hits/attempts, the "new" badge and its link.
    const cell = canary.locator(`td.cell[data-run="${nightId(4)}"]`);
    expect(await cell.locator("a").innerText()).toBe("2/2");
    expect(await cell.locator(".badge.new").innerText()).toBe("+1");
    expect(await cell.locator(".badge.new").getAttribute("title")).toContain("INFO: task hung in mnt_want_write");
    expect(await cell.evaluate((c) => getComputedStyle(c).backgroundColor)).toBe("rgb(244, 164, 164)");
    expect(await canary.locator(`td.cell[data-run="${nightId(5)}"]`).evaluate((c) => getComputedStyle(c).backgroundColor)).toBe("rgb(184, 230, 176)");
    expect(await page.locator(`table.grid[data-kernel="mainline"] tr[data-scenario="quiet"] td.cell[data-run="${nightId(2)}"]`).getAttribute("data-state")).toBe("infra");
    // Sparkline: the canary's rate over the nights, 0 then 1.
    expect(await canary.locator("svg.spark").getAttribute("data-rates")).toBe("0.00 0.00 0.00 0.00 1.00 1.00");
    expect(await canary.locator("svg.spark polyline").count()).toBe(1);
    await page.screenshot({ path: join(root, "index.png"), fullPage: true });

    await cell.locator("a").click();
    await page.waitForURL(/night\.html#c-debian--canary$/);
    const section = page.locator("section#c-debian--canary");
    expect(await section.getAttribute("data-state")).toBe("regression");
    expect(await section.innerText()).toMatch(/new: INFO: task hung in mnt_want_write \(2\/2, baseline 0\/2, p=0\.333\)/);
    const report = section.locator("a.report-link").first();
    expect(await report.innerText()).toBe("INFO: task hung in mnt_want_write");
    expect(await report.getAttribute("href")).toBe("debian/canary/attempt-1/console.html#L650");

    await report.click();
    await page.waitForURL(/console\.html#L650$/);
    await page.waitForFunction(() => document.querySelectorAll(".cur").length > 0);
    // The report's lines (650–679 in the real console log) are highlighted, its first line is in view.
    const marked = await page.locator(".rep.cur").evaluateAll((ls) => ls.map((l) => Number(l.id.slice(1))));
    expect(marked[0]).toBe(650);
    expect(marked[marked.length - 1]).toBe(679);
    expect(marked).toHaveLength(30);
    expect(await page.locator("#L650").innerText()).toMatch(/INFO: task dd:\d+ blocked for more than 10 seconds/);
    expect(await page.locator("#L650").isVisible()).toBe(true);
    const box = await page.locator("#L650").evaluate((el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, h: innerHeight, y: scrollY }; });
    expect(box.top > 100 && box.bottom <= box.h, JSON.stringify(box)).toBe(true);
    expect(await page.locator("#L649").getAttribute("class")).toBeNull();
    await page.screenshot({ path: join(root, "report.png") });

    // A report in both logs links to the console; the dmesg page has its own anchors and highlights.
    await page.goto(pathToFileURL(join(root, nightId(5), "night.html")).href + "#c-debian--lockdep");
    expect(await page.locator("section#c-debian--lockdep a.report-link").first().getAttribute("href")).toBe("debian/lockdep/attempt-1/console.html#L427");
    await page.goto(pathToFileURL(join(root, nightId(5), "debian", "lockdep", "attempt-1", "dmesg.html")).href + "#L373");
    await page.waitForFunction(() => document.querySelectorAll(".cur").length > 0);
    expect(await page.locator(".rep.cur").count()).toBe(469 - 373 + 1);

    expect(errors).toEqual([]);
    expect((await stat(join(root, "index.png"))).size).toBeGreaterThan(10_000);
    process.stderr.write(`[nightly page] screenshots: ${join(root, "index.png")} ${join(root, "report.png")}\n`);
    await page.close();
  }, 120_000);
});
