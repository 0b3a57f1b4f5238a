/**
 * Catastrophic backtracking in user regexes (expectations' `title`, `task`, `/frames/`…).
 * JavaScript regexes cannot be interrupted, so a regex like `(a+)+$` on a kernel log title
 * would hang the judge. Checked when the scenario is loaded: a repeated group that itself
 * contains a repetition (star height above 1, like safe-regex) or a repeated alternation whose
 * branches can match the same text is refused. Pure.
 */

/** Why `source` may backtrack catastrophically, or undefined when it is safe. */
export function backtrackingRisk(source: string): string | undefined {
  interface Group {
    /** a `*`, `+`, `{n,}` or `{n,m}` (m > 1) inside the group */
    repeats: boolean;
    /** top-level alternatives of the group, as written */
    branches: string[];
    start: number;
    branchStart: number;
  }
  const stack: Group[] = [{ repeats: false, branches: [], start: 0, branchStart: 0 }];
  let i = 0;
  /** Is there a repeating quantifier at `j`? Returns its length (0: none), and whether it repeats. */
  const quantifierAt = (j: number): { len: number; repeats: boolean } => {
    const c = source[j];
    if (c === "*" || c === "+") return { len: source[j + 1] === "?" ? 2 : 1, repeats: true };
    if (c === "?") return { len: source[j + 1] === "?" ? 2 : 1, repeats: false };
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}\??/.exec(source.slice(j, j + 40));
      if (m) {
        const max = m[2] === undefined ? Number(m[1]) : m[3] === "" ? Infinity : Number(m[3]);
        return { len: m[0].length, repeats: max > 1 };
      }
    }
    return { len: 0, repeats: false };
  };
  while (i < source.length) {
    const c = source[i]!;
    const top = stack[stack.length - 1]!;
    if (c === "\\") {
      i += 2;
    } else if (c === "[") {
      // A character class: skip to its closing bracket.
      i++;
      if (source[i] === "^") i++;
      if (source[i] === "]") i++;
      while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "(") {
      const start = i;
      i++;
      // Group prefixes: (?: (?= (?! (?<= (?<! (?<name>
      const pre = /^\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(source.slice(i, i + 100));
      if (pre) i += pre[0].length;
      stack.push({ repeats: false, branches: [], start, branchStart: i });
      continue;
    } else if (c === "|") {
      top.branches.push(source.slice(top.branchStart, i));
      i++;
      top.branchStart = i;
      continue;
    } else if (c === ")") {
      if (stack.length === 1) return undefined; // unbalanced: not a valid regex anyway (checked elsewhere)
      top.branches.push(source.slice(top.branchStart, i));
      stack.pop();
      const q = quantifierAt(i + 1);
      const group = source.slice(top.start, i + 1);
      if (q.repeats && top.repeats) {
        return `the repeated group ${group}${source.slice(i + 1, i + 1 + q.len)} itself repeats something: nested quantifiers like (a+)+ can take exponential time`;
      }
      if (q.repeats && overlappingBranches(top.branches)) {
        return `the repeated group ${group}${source.slice(i + 1, i + 1 + q.len)} has alternatives that can match the same text: like (a|a)* it can take exponential time`;
      }
      const parent = stack[stack.length - 1]!;
      if (top.repeats || q.repeats) parent.repeats = true;
      i += 1 + q.len;
      // Back in the parent group: its current branch goes on.
      continue;
    } else {
      i++;
    }
    const q = quantifierAt(i);
    if (q.len) {
      if (q.repeats) stack[stack.length - 1]!.repeats = true;
      i += q.len;
    }
  }
  return undefined;
}

/**
 * Can two branches of an alternation match the same text? A conservative test: an empty
 * branch, two equal branches, or a branch that starts with a dot, a class or a class escape
 * (`\w|_`, `.|a`), which can overlap any other branch.
 */
function overlappingBranches(branches: string[]): boolean {
  if (branches.length < 2) return false;
  if (branches.some((b) => b === "")) return true;
  if (new Set(branches).size < branches.length) return true;
  return branches.some((b) => b[0] === "." || b[0] === "[" || b[0] === "(" || /^\\[wWdDsSpPu]/.test(b));
}
