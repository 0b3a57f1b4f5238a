/**
 * The bisect report: culprit (hash, subject, author), confidence, p estimate, cost, a row per
 * tested commit, the logs of the run that matched. As an object (report.json), text (the
 * terminal and report.txt) and an HTML page (report.html; `bisectSection` is the part a
 * results page can embed).
 */
import { relative } from "node:path";
import { EXIT, formatMs } from "../common/index.ts";
import { wilson } from "../results/index.ts";
import { bisectMarks } from "./bisect-log.ts";
import { stateOf } from "./book.ts";
import type { BisectOutcome } from "./driver.ts";
import type { GitRepo } from "./git.ts";
import { autoChoice } from "./policies.ts";
import { isUntestable } from "./policy-types.ts";
import { escapeHtml } from "../results/index.ts";

export interface CommitRow {
  sha: string;
  subject: string;
  /** 0: the first-parent line; 1+: inside a merge. */
  level: number;
  position: number;
  runs: number;
  hits: number;
  noise: number;
  infra: number;
  verdict: "culprit" | "bad" | "good" | "skip" | "clean (undecided)" | "untested";
  note?: string;
  kernelId?: string;
  /** Runs taken over from this byte-identical neighbour. */
  noopOf?: string;
  hitDirs: string[];
}

export interface BisectReport {
  id: string;
  scenario: string;
  signature?: string;
  policy: string;
  good: string;
  bad: string;
  outcome: string;
  message: string;
  exitCode: number;
  confidence?: number;
  culprit?: { sha: string; subject: string; author: string; merge: boolean; noop: boolean; warnings: string[] };
  range?: { sha: string; subject: string }[];
  p: { hits: number; runs: number; estimate: number; low: number; high: number };
  cost: { runs: number; builds: number; failedBuilds: number; infraRuns: number; wallMs: number };
  /** Logs of the first run that matched the target on the culprit (or the bad endpoint). */
  matchingRun?: { sha: string; attempt: number; dir: string };
  commits: CommitRow[];
  files: { ledger: string; bisectLog: string };
}

function messageFor(o: BisectOutcome, signature: string | undefined, short: (s: string) => string): { outcome: string; message: string; exitCode: number } {
  const d = o.decision;
  switch (d.kind) {
    case "culprit":
      return { outcome: "culprit", message: `first bad commit ${short(o.culprit!)} (confidence ${(d.confidence * 100).toFixed(1)}% at this level)`, exitCode: EXIT.ok };
    case "range":
      return { outcome: "range", message: `the culprit is one of ${o.range!.length} commits that could not be told apart (the ones between could not be tested)`, exitCode: EXIT.notMet };
    case "budget":
      return { outcome: "budget", message: `run budget spent before the confidence was reached; most likely ${short(o.line.commits[d.index]!)} (${(d.confidence * 100).toFixed(1)}%)`, exitCode: EXIT.notMet };
    case "bad-endpoint-clean":
      return { outcome: "bad-endpoint-clean", message: `the bad endpoint never showed ${signature ? `the target signature "${signature}"` : "an expected signature"} in ${d.runs} run(s): nothing to bisect (check the scenario, --bad, or give more time with --time-factor)`, exitCode: EXIT.notMet };
    case "good-endpoint-reproduces":
      return { outcome: "good-endpoint-reproduces", message: `the good endpoint showed the target signature (${d.hits} hit(s) in ${d.runs} run(s)): it is not good; pick an older --good`, exitCode: EXIT.notMet };
    case "endpoint-untestable":
      return { outcome: "endpoint-untestable", message: `the ${d.which} endpoint cannot be tested: ${d.reason}`, exitCode: EXIT.notMet };
  }
}

export async function buildReport(o: BisectOutcome, repo: GitRepo, extra: { scenario: string; policy: string; wallMs: number }): Promise<BisectReport> {
  const { book } = o;
  const short = (s: string) => s.slice(0, 12);
  const shas = [...new Set(book.lines.flatMap((l) => l.commits))];
  await repo.load(shas);
  const marks = bisectMarks(book);
  const rows: CommitRow[] = [];
  const seen = new Set<string>();
  let failedBuilds = 0;
  let builds = 0;
  for (const line of book.lines) {
    const state = stateOf(book, line);
    for (let i = 0; i < line.commits.length; i++) {
      const sha = line.commits[i]!;
      if (seen.has(sha)) continue;
      const rec = book.records.get(sha);
      const c = state.commits[i]!;
      if (!rec || (!rec.build && !rec.runs.length)) continue;
      seen.add(sha);
      if (rec.build) {
        builds++;
        if (!rec.build.ok) failedBuilds++;
      }
      const mark = marks.get(sha);
      const verdict: CommitRow["verdict"] =
        sha === o.culprit ? "culprit" : isUntestable(c) ? "skip" : mark === "bad" ? "bad" : mark === "good" ? "good" : c.runs > 0 ? "clean (undecided)" : "untested";
      const notes: string[] = [];
      if (i === 0 && line.level === 0) notes.push("good endpoint");
      if (i === line.commits.length - 1 && line.level === 0) notes.push("bad endpoint");
      if (c.untestable) notes.push(c.untestable);
      // "noop" is kept for a culprit whose kernel is its parent's (below): a twin may be a later commit
      if (rec.inheritedFrom) notes.push(`same kernel as ${short(rec.inheritedFrom)}: its runs taken over`);
      rows.push({
        sha,
        subject: (await repo.commit(sha)).subject,
        level: line.level,
        position: i,
        runs: c.runs,
        hits: c.hits,
        noise: c.noise,
        infra: c.infra,
        verdict,
        ...(notes.length ? { note: notes.join("; ") } : {}),
        ...(rec.build?.kernelId ? { kernelId: rec.build.kernelId } : {}),
        ...(rec.inheritedFrom ? { noopOf: rec.inheritedFrom } : {}),
        hitDirs: rec.runs.filter((r) => book.isHit(r) && r.dir).map((r) => r.dir!),
      });
    }
  }
  let hits = 0;
  let pruns = 0;
  let runs = 0;
  let infraRuns = 0;
  for (const rec of book.records.values()) {
    const own = rec.runs;
    runs += own.filter((r) => r.status === "ran").length;
    infraRuns += own.filter((r) => r.status === "infra").length;
    const h = own.filter((r) => book.isHit(r)).length;
    if (h > 0) {
      hits += h;
      pruns += own.filter((r) => r.status === "ran").length;
    }
  }
  const w = wilson(hits, pruns);
  const m = messageFor(o, book.target, short);
  let culprit: BisectReport["culprit"];
  if (o.culprit) {
    const info = await repo.commit(o.culprit);
    const rec = book.records.get(o.culprit);
    const idx = o.line.commits.indexOf(o.culprit);
    const parent = idx > 0 ? book.records.get(o.line.commits[idx - 1]!) : undefined;
    // As syzkaller: a noop culprit builds its parent's kernel. Runs taken over from a bad twin after it
    // (the same kernel further up the range) say nothing against it.
    const noop = !!rec?.build?.imageHash && rec.build.imageHash === parent?.build?.imageHash;
    const merge = info.parents.length > 1;
    const warnings: string[] = [];
    if (noop) warnings.push("noop: its kernel is byte-identical to its parent's, so it cannot change behaviour; the result is unreliable (retest the parent, or the build is not reproducible)");
    if (merge) warnings.push("merge: every commit of the merged branch tested good; the bug comes from the two sides together");
    if ((o.confidence ?? 1) < 0.66) warnings.push(`low confidence (${((o.confidence ?? 0) * 100).toFixed(0)}%)`);
    culprit = { sha: o.culprit, subject: info.subject, author: info.author, merge, noop, warnings };
  }
  const range = o.range ? await Promise.all(o.range.map(async (s) => ({ sha: s, subject: (await repo.commit(s)).subject }))) : undefined;
  const hitOn = (sha: string | undefined) => {
    const r = sha ? book.records.get(sha)?.runs.find((x) => book.isHit(x) && x.dir) : undefined;
    return r && sha ? { sha, attempt: r.attempt, dir: r.dir! } : undefined;
  };
  const matchingRun = hitOn(o.culprit) ?? hitOn(book.lines[0]?.commits.at(-1));
  const firstLine = book.lines[0];
  const policy = extra.policy === "auto" && firstLine ? `auto (${autoChoice(stateOf(book, firstLine))})` : extra.policy;
  return {
    id: book.id ?? "",
    scenario: extra.scenario,
    ...(book.target ? { signature: book.target } : {}),
    policy,
    good: book.inputs?.good ?? "",
    bad: book.inputs?.bad ?? "",
    ...m,
    ...(o.confidence !== undefined ? { confidence: o.confidence } : {}),
    ...(culprit ? { culprit } : {}),
    ...(range ? { range } : {}),
    p: { hits, runs: pruns, estimate: w.p, low: w.low, high: w.high },
    cost: { runs, builds, failedBuilds, infraRuns, wallMs: extra.wallMs },
    ...(matchingRun ? { matchingRun } : {}),
    commits: rows.sort((a, b) => a.level - b.level || a.position - b.position),
    files: { ledger: o.ledger, bisectLog: o.bisectLog },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function reportText(r: BisectReport, cwd = process.cwd()): string {
  const rel = (p: string) => relative(cwd, p) || ".";
  const out: string[] = [];
  out.push("", `hangar bisect ${r.id} — ${r.scenario}, signature ${r.signature ?? "(none seen)"}, policy ${r.policy}`);
  out.push(`range ${r.good.slice(0, 12)}..${r.bad.slice(0, 12)}`);
  if (r.culprit) {
    out.push(`CULPRIT ${r.culprit.sha}`, `        ${r.culprit.subject}`, `        ${r.culprit.author}`);
    out.push(`        confidence ${r.confidence !== undefined ? pct(r.confidence) : "n/a"}`);
    for (const wmsg of r.culprit.warnings) out.push(`        WARNING ${wmsg}`);
  } else out.push(`NO CULPRIT: ${r.message}`);
  if (r.range) {
    out.push(`candidates (confidence ${r.confidence !== undefined ? pct(r.confidence) : "n/a"} that it is one of them):`);
    for (const c of r.range) out.push(`  ${c.sha.slice(0, 12)} ${c.subject}`);
  }
  out.push(`p (target hits per run on bad commits) ${r.p.hits}/${r.p.runs} = ${r.p.estimate.toFixed(2)} [${r.p.low.toFixed(2)}–${r.p.high.toFixed(2)}]`);
  out.push(`cost ${r.cost.runs} run(s), ${r.cost.builds} kernel build(s) (${r.cost.failedBuilds} failed), ${r.cost.infraRuns} infra run(s) skipped, ${formatMs(r.cost.wallMs)}`);
  const head = ["COMMIT", "LVL", "POS", "RUNS", "HITS", "NOISE", "INFRA", "DECISION", "SUBJECT"];
  const rows = r.commits.map((c) => [c.sha.slice(0, 12), String(c.level), String(c.position), String(c.runs), String(c.hits), String(c.noise), String(c.infra), c.verdict, c.subject.slice(0, 60) + (c.note ? ` [${c.note}]` : "")]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const fmt = (x: string[]) => x.map((c, i) => (i === x.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  out.push("", fmt(head), ...rows.map(fmt), "");
  if (r.matchingRun) out.push(`matching run: ${r.matchingRun.sha.slice(0, 12)} attempt ${r.matchingRun.attempt}: ${rel(r.matchingRun.dir)}/console.log  ${rel(r.matchingRun.dir)}/dmesg.log`);
  out.push(`ledger ${rel(r.files.ledger)}  git bisect log ${rel(r.files.bisectLog)} (git bisect replay)`, `exit ${r.exitCode}`);
  return out.join("\n") + "\n";
}

const esc = escapeHtml;

/** The bisect as an HTML section; links are relative to `base` (the folder the page is in). */
export function bisectSection(r: BisectReport, base: string): string {
  const link = (dir: string, f: string) => `<a href="${esc(relative(base, dir))}/${f}">${f}</a>`;
  const head = r.culprit
    ? `<p class="culprit"><b>culprit</b> <code>${esc(r.culprit.sha)}</code> ${esc(r.culprit.subject)} — ${esc(r.culprit.author)} · confidence <b>${r.confidence !== undefined ? pct(r.confidence) : "n/a"}</b></p>${r.culprit.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join("")}`
    : `<p class="none"><b>no culprit</b>: ${esc(r.message)}</p>${r.range ? `<ul>${r.range.map((c) => `<li><code>${esc(c.sha.slice(0, 12))}</code> ${esc(c.subject)}</li>`).join("")}</ul>` : ""}`;
  const rows = r.commits
    .map(
      (c) =>
        `<tr class="${c.verdict.split(" ")[0]}"><td><code>${esc(c.sha.slice(0, 12))}</code></td><td>${c.level}</td><td>${c.position}</td><td>${c.runs}</td><td>${c.hits}</td><td>${c.noise}</td><td>${c.infra}</td><td>${esc(c.verdict)}</td><td>${esc(c.subject)}${c.note ? `<div class="n">${esc(c.note)}</div>` : ""}${c.hitDirs.length ? `<div class="n">hit: ${c.hitDirs.map((d) => `${link(d, "console.log")} ${link(d, "dmesg.log")}`).join(" · ")}</div>` : ""}</td></tr>`,
    )
    .join("\n");
  return `<section class="bisect"><h2>bisect ${esc(r.id)}</h2>
<p>${esc(r.scenario)} · signature <b>${esc(r.signature ?? "(none seen)")}</b> · policy ${esc(r.policy)} · ${esc(r.good.slice(0, 12))}..${esc(r.bad.slice(0, 12))}</p>
${head}
<p>p ≈ ${r.p.estimate.toFixed(2)} [${r.p.low.toFixed(2)}–${r.p.high.toFixed(2)}] (${r.p.hits}/${r.p.runs}) · ${r.cost.runs} runs · ${r.cost.builds} builds (${r.cost.failedBuilds} failed) · ${r.cost.infraRuns} infra runs · ${esc(formatMs(r.cost.wallMs))}${r.matchingRun ? ` · matching run: ${link(r.matchingRun.dir, "console.log")} ${link(r.matchingRun.dir, "dmesg.log")}` : ""}</p>
<table><tr><th>commit</th><th>level</th><th>pos</th><th>runs</th><th>hits</th><th>noise</th><th>infra</th><th>decision</th><th>subject</th></tr>
${rows}
</table></section>`;
}

export function bisectPage(r: BisectReport, base: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>hangar bisect ${esc(r.id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
tr.culprit td{background:#fdd;font-weight:bold}tr.bad td:nth-child(8){background:#fdd}tr.good td:nth-child(8){background:#dfd}tr.skip td:nth-child(8){background:#eee}
.n{font-size:12px;color:#555}.warn{color:#a40}</style></head><body>
${bisectSection(r, base)}
<p>exit ${r.exitCode}</p></body></html>
`;
}
