/**
 * The git queries bisection needs, read-only: hangar never checks anything out in the user's
 * repository (the kernel builder exports each commit with a private index). Every call is an
 * argument array with a deadline.
 */
import { execa } from "execa";
import { UserInputError } from "../common/index.ts";

const GIT_TIMEOUT_MS = 120_000;

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  parents: string[];
}

async function git(dir: string, args: string[]): Promise<string> {
  const r = await execa("git", ["-C", dir, ...args], { reject: false, timeout: GIT_TIMEOUT_MS, stripFinalNewline: false });
  if (r.timedOut) throw new Error(`git ${args.join(" ")} in ${dir}: no answer within ${GIT_TIMEOUT_MS / 1000} s`);
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")} in ${dir} failed: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
  return String(r.stdout);
}

export class GitRepo {
  private readonly info = new Map<string, CommitInfo>();

  constructor(readonly dir: string) {}

  /** Fails with a usage error naming the option when `dir` is not a repository. */
  async check(option = "--git"): Promise<void> {
    const r = await execa("git", ["-C", this.dir, "rev-parse", "--git-dir"], { reject: false, timeout: GIT_TIMEOUT_MS });
    if (r.exitCode !== 0) throw new UserInputError(`${option} ${this.dir}: not a git repository (expected a kernel git tree)`);
  }

  /** The full hash of a commit, tag or branch; a usage error naming `option` when there is none. */
  async resolve(rev: string, option: string): Promise<string> {
    const r = await execa("git", ["-C", this.dir, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { reject: false, timeout: GIT_TIMEOUT_MS });
    const sha = String(r.stdout).trim();
    if (r.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(sha)) throw new UserInputError(`${option} ${rev}: no such commit in ${this.dir}`);
    return sha;
  }

  async isAncestor(a: string, b: string): Promise<boolean> {
    const r = await execa("git", ["-C", this.dir, "merge-base", "--is-ancestor", a, b], { reject: false, timeout: GIT_TIMEOUT_MS });
    if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`git merge-base --is-ancestor ${a} ${b} failed: ${String(r.stderr).trim()}`);
    return r.exitCode === 0;
  }

  /** `good`, then the first-parent line from just after it up to `bad`, oldest first. */
  async firstParentLine(good: string, bad: string): Promise<string[]> {
    const out = await git(this.dir, ["rev-list", "--first-parent", "--reverse", bad, `^${good}`]);
    return [good, ...out.split("\n").filter(Boolean)];
  }

  /**
   * The line to search inside a merge M whose first parent is good: the fork point, the
   * merged branch's first-parent line (what M brought in), then M itself, which decides when
   * every commit of the branch is good (the bug comes from the merge).
   */
  async mergedBranchLine(merge: string): Promise<string[] | undefined> {
    const { parents } = await this.commit(merge);
    if (parents.length < 2) return undefined;
    const out = await git(this.dir, ["rev-list", "--first-parent", "--reverse", parents[1]!, `^${parents[0]!}`]);
    const branch = out.split("\n").filter(Boolean);
    if (!branch.length) return undefined;
    const base = (await this.commit(branch[0]!)).parents[0];
    if (!base) return undefined;
    return [base, ...branch, merge];
  }

  async commit(sha: string): Promise<CommitInfo> {
    const known = this.info.get(sha);
    if (known) return known;
    await this.load([sha]);
    return this.info.get(sha)!;
  }

  /** Subject, author and parents of many commits in one git call. */
  async load(shas: string[]): Promise<void> {
    const missing = [...new Set(shas)].filter((s) => !this.info.has(s));
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const out = await git(this.dir, ["show", "--no-patch", "--no-walk=unsorted", "--format=%H%x00%P%x00%an <%ae>%x00%s%x1e", ...chunk]);
      for (const rec of out.split("\x1e")) {
        const [sha, parents, author, subject] = rec.replace(/^\n/, "").split("\0");
        if (!sha || author === undefined) continue;
        this.info.set(sha, { sha, subject: subject ?? "", author, parents: parents ? parents.split(" ").filter(Boolean) : [] });
      }
    }
  }
}
