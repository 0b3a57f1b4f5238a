/**
 * The one place where guest shell commands are quoted. Everything sent over SSH is either a
 * constant or built with these helpers; user text is never spliced into a command unquoted.
 */

/** Quote one word for POSIX sh: safe words pass unchanged, anything else is single-quoted. */
export function shQuote(word: string): string {
  if (word === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argument vector into one command line. */
export function shJoin(argv: readonly string[]): string {
  if (!argv.length) throw new Error("shJoin: empty command");
  return argv.map(shQuote).join(" ");
}

/** `NAME=value ...` assignments, with names checked and values quoted. */
export function shEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${JSON.stringify(k)}`);
      return `${k}=${shQuote(v)}`;
    })
    .join(" ");
}
