import { describe, expect, it } from "vitest";
import { backtrackingRisk, expectationsSchema } from "../../../harness/match/index.ts";

describe("backtrackingRisk", () => {
  it.each([
    "(a+)+$",
    "(a*)*b",
    "^(\\w+\\s?)*$",
    "(?:x+y?)+z",
    "((ab)+c)*",
    "(a{1,5}){2,}",
    "(?<n>a+)+",
    "(a|a)*b",
    "(\\w|_)+!",
    "(.|x)*y",
    "(|a)+",
    "([a-z]|x)+$",
  ])("refuses %s", (re) => {
    expect(backtrackingRisk(re)).toMatch(/exponential time/);
  });

  it.each([
    "^INFO: task .* blocked for more than \\d+ seconds",
    "^xfs_",
    "(xfs|btrfs)_[a-z_]+",
    "kworker/\\d+:\\d+",
    "(ab)+c",
    "[(+*]+",
    "\\(a+\\)+",
    "(a){3}",
    "(a?)+", // repeats nothing unbounded inside: at most one 'a' per turn
    "(?:foo|bar)*baz",
    "a{2,3}b+",
  ])("accepts %s", (re) => {
    expect(backtrackingRisk(re)).toBeUndefined();
  });
});

describe("expectations refuse unsafe regexes, naming the field", () => {
  const parse = (sig: Record<string, unknown>) => expectationsSchema.safeParse({ signatures: [{ name: "x", ...sig }] });
  it.each([
    [{ title: "(a+)+$" }, ["signatures", 0, "title"]],
    [{ task: "^(\\w+\\s?)*$" }, ["signatures", 0, "task"]],
    [{ frames: ["/(x*)*y/"] }, ["signatures", 0, "frames", 0]],
    [{ lockClasses: ["ok", "/(a|a)+/"] }, ["signatures", 0, "lockClasses", 1]],
  ])("%o", (sig, path) => {
    const r = parse(sig);
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path).toEqual(path);
    expect(issue.message).toMatch(/unsafe .*regular expression/);
  });
  it("a frame name that is not between slashes is a name, not a regex", () => {
    expect(parse({ frames: ["(a+)+"] }).success).toBe(true);
  });
});
