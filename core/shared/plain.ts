/**
 * @module
 * JSON as a cloud SDK takes it: Prefect's exact values (core/template: Python floats, integers
 * beyond 2^53) turned back into plain numbers, for request fields that the SDKs type as numbers.
 */
import type { Json } from "../prefect/types.ts";
import { isPyFloat } from "../template/pyFloat.ts";
import { isPyInt } from "../template/pyInt.ts";

/** JSON as the AWS SDK gets it (Prefect's floats turned back into numbers). */
export type Plain = null | boolean | number | string | Plain[] | PlainObject;
export interface PlainObject {
  [key: string]: Plain;
}

/**
 * A deep copy of a JSON value with {@link isPyFloat} floats turned into plain numbers (and big
 * ints into the nearest number: the AWS SDK only takes numbers).
 */
export function plain(value: Json): Plain {
  if (isPyFloat(value)) return value.value;
  if (isPyInt(value)) return Number(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    const out: PlainObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === "__proto__") continue;
      out[key] = plain(item);
    }
    return out;
  }
  return value;
}

/** True for a plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is PlainObject {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !isPyFloat(value) &&
    !isPyInt(value)
  );
}
