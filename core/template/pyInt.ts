/**
 * @module
 * Python ints are unbounded; JS numbers are exact only up to 2^53. An integer read from Prefect
 * that is not a safe integer (`9007199254740993`, `2**63`, `-10**30`) is kept as a {@link PyInt}
 * holding a bigint, so templating prints and re-sends exactly the digits Python would. Safe
 * integers stay plain numbers (the common path is unchanged).
 */
import type { PyIntLike } from "../prefect/types.ts";

export class PyInt implements PyIntLike {
  readonly pyInt = true as const;
  constructor(readonly value: bigint) {}
  valueOf(): number {
    return Number(this.value);
  }
  /**
   * `JSON.stringify` cannot write a big integer; it gets the digits as a string (exact, and never
   * equal to another int's). Request bodies to Prefect go through `stringifyJson`, which writes
   * the bare digits.
   */
  toJSON(): string {
    return this.value.toString();
  }
  toString(): string {
    return this.value.toString();
  }
}

export function isPyInt(value: unknown): value is PyIntLike {
  return typeof value === "object" && value !== null && (value as PyIntLike).pyInt === true;
}

/** The integer `n` (a bigint or an integral number) in its canonical form: a number when safe, else a PyInt. */
export function pyIntOf(n: bigint | number): number | PyInt {
  if (typeof n === "number") return Number.isSafeInteger(n) ? n : new PyInt(BigInt(n));
  const small = Number(n);
  return Number.isSafeInteger(small) ? small : new PyInt(n);
}

/** The canonical value of a JSON integer literal (`-?digits`). */
export function pyIntFromLiteral(literal: string): number | PyInt {
  const n = Number(literal);
  return Number.isSafeInteger(n) ? n : new PyInt(BigInt(literal));
}
