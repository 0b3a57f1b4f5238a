/**
 * A `git bisect log`-compatible file (results/<id>/bisect.log), rewritten as the bisect goes:
 * `git bisect replay bisect.log` in the kernel tree puts git in the same state. Commits with a
 * target hit are bad, untestable ones skipped, clean ones good when they lie before the culprit
 * (or, while the search runs, before the most likely position); the rest are left out.
 */
import { writeFileAtomic } from "../common/index.ts";
import { stateOf, type Book } from "./book.ts";
import type { GitRepo } from "./git.ts";
import { isUntestable } from "./policy-types.ts";
import { mostLikely, posterior } from "./posterior.ts";

export type Mark = "good" | "bad" | "skip";

/**
 * good / bad / skip for every commit the bisect has a verdict on. git keeps one bad commit
 * (the last `git bisect bad` wins), so bad marks come newest first and end with the oldest.
 */
export function bisectMarks(book: Book): Map<string, Mark> {
  const marks = new Map<string, Mark>();
  const bads: { sha: string; level: number; pos: number }[] = [];
  const level0 = book.lines[0];
  if (!level0) return marks;
  marks.set(level0.commits[0]!, "good");
  bads.push({ sha: level0.commits.at(-1)!, level: 0, pos: level0.commits.length - 1 });
  for (const line of book.lines) {
    // Inside a merge the fork point is good: an ancestor of the merge's good first parent.
    if (line.level > 0) marks.set(line.commits[0]!, "good");
    const decided = book.decisions.find((d) => d.level === line.level && (d.decision.kind === "culprit" || d.decision.kind === "budget"));
    const state = stateOf(book, line);
    const boundary =
      decided && (decided.decision.kind === "culprit" || decided.decision.kind === "budget")
        ? decided.decision.index
        : state.commits.at(-1)!.hits > 0
          ? mostLikely(posterior(state)).index
          : line.commits.length - 1;
    line.commits.forEach((sha, i) => {
      if (marks.has(sha) || bads.some((b) => b.sha === sha)) return;
      const c = state.commits[i]!;
      if (c.hits > 0) bads.push({ sha, level: line.level, pos: i });
      else if (isUntestable(c)) marks.set(sha, "skip");
      else if (c.runs > 0 && i < boundary) marks.set(sha, "good");
    });
  }
  bads.sort((a, b) => a.level - b.level || b.pos - a.pos);
  const out = new Map<string, Mark>();
  for (const b of bads) out.set(b.sha, "bad");
  for (const [sha, m] of marks) out.set(sha, m);
  return out;
}

export async function writeGitBisectLog(path: string, book: Book, repo: GitRepo, culprit: string | undefined): Promise<void> {
  const marks = bisectMarks(book);
  await repo.load([...marks.keys(), ...(culprit ? [culprit] : [])]);
  const lines = ["git bisect start"];
  for (const [sha, mark] of marks) {
    const c = await repo.commit(sha);
    lines.push(`# ${mark}: [${sha}] ${c.subject}`, `git bisect ${mark} ${sha}`);
  }
  if (culprit) lines.push(`# first bad commit: [${culprit}] ${(await repo.commit(culprit)).subject}`);
  await writeFileAtomic(path, lines.join("\n") + "\n");
}
