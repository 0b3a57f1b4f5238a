/**
 * One error base class for everything hangar reports to its user: it carries the process exit
 * code, so the CLI maps an error to an exit code in one place (`exitCodeOf`).
 *
 * Exit codes (DESIGN.md, docs/architecture.md): 0 met, 1 not met, 2 usage or configuration
 * error, 3 infrastructure failure. Commands with their own conventions (bisect-step for
 * `git bisect run`) pick other codes explicitly.
 */
export const EXIT = { ok: 0, notMet: 1, usage: 2, infra: 3 } as const;

export class HangarError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.infra,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the user (arguments, files, ids): exit 2. */
export class UserInputError extends HangarError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, options);
  }
}

/** The exit code for any thrown value: a HangarError's own, else 3 (infrastructure). */
export function exitCodeOf(err: unknown): number {
  return err instanceof HangarError ? err.exitCode : EXIT.infra;
}
