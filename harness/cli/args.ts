import { InvalidArgumentError } from "commander";

/** A usage error: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive whole number, got "${v}"`);
  return n;
}

export function parsePositiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${v}"`);
  return n;
}

export function parseAccel(v: string): "auto" | "kvm" | "tcg" {
  if (v === "auto" || v === "kvm" || v === "tcg") return v;
  throw new InvalidArgumentError(`expected auto, kvm or tcg, got "${v}"`);
}
