// Reads vitest's JSON report: prints the closing line, and fails (exit 1) when a test was
// skipped without a reason listed in the allow files (one "<regex> | <reason>" a line).
import { readFileSync } from "node:fs";

const [reportPath, ...allowPaths] = process.argv.slice(2);
let r;
try {
  r = JSON.parse(readFileSync(reportPath, "utf8"));
} catch {
  console.log("vitest: no report written");
  process.exit(1);
}
console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
const allowed = allowPaths
  .flatMap((p) => readFileSync(p, "utf8").split("\n"))
  .filter((l) => l.trim() && !l.startsWith("#"))
  .map((l) => {
    const [re, reason] = l.split(" | ");
    return { re: new RegExp(re.trim()), reason: (reason ?? "").trim() };
  });
const bad = [];
for (const file of r.testResults) {
  for (const t of file.assertionResults) {
    if (t.status !== "skipped" && t.status !== "pending" && t.status !== "todo") continue;
    const name = `${file.name.replace(/^.*\/test\//, "test/")} > ${t.fullName}`;
    const ok = allowed.find((a) => a.re.test(name));
    if (ok) console.log(`skipped (allowed: ${ok.reason}): ${name}`);
    else bad.push(name);
  }
}
for (const b of bad) console.log(`SKIPPED WITHOUT AN ALLOWED REASON: ${b}`);
process.exit(bad.length ? 1 : 0);
