/**
 * @module
 * Prefect's templating renders embedded values with Python's `str()`, where `1.0` prints as `1.0`
 * and `1` as `1`. `JSON.parse` loses that difference, so everything pushpool reads from the Prefect
 * API goes through {@link parseJson}, which keeps floats as {@link PyFloat}. A PyFloat serialises
 * back to a plain JSON number and behaves as a number in arithmetic.
 */
import { parse } from "lossless-json";
import type { Json, PyFloatLike } from "../prefect/types.ts";

export class PyFloat implements PyFloatLike {
  readonly pyFloat = true as const;
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
  toString(): string {
    return String(this.value);
  }
}

export function isPyFloat(value: unknown): value is PyFloat {
  return typeof value === "object" && value !== null && (value as PyFloatLike).pyFloat === true;
}

function toPython(text: string): number | PyFloat {
  const n = Number(text);
  return /[.eE]/.test(text) ? new PyFloat(n) : n;
}

/** JSON.parse that keeps Python floats (`1.0`, `1e5`) apart from ints. */
export function parseJson(text: string): Json {
  return parse(text, null, toPython) as Json;
}
