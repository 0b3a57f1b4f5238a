import { InvalidArgumentError } from "commander";
import { UserInputError, parseTimeScale } from "../common/index.ts";
import { parseTimeFactor } from "../config/index.ts";

/** A usage error: exit code 2. */
export class UsageError extends UserInputError {}

/** --time-scale: every orchestrator deadline multiplied (slow or busy hosts). */
export function parseTimeScaleOption(v: string): number {
  try {
    return parseTimeScale(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--time-scale: /, ""));
  }
}

export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive whole number, got "${v}"`);
  return n;
}

export function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new InvalidArgumentError(`expected a whole number from 0 to 100, got "${v}"`);
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

/** --time-factor: bounded like a suite's time_factor (above 0, at most 100). */
export function timeFactorOption(v: string): number {
  try {
    return parseTimeFactor(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--time-factor "[^"]*": /, ""));
  }
}
