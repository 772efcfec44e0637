/**
 * @module
 * Small Python-semantics helpers over {@link Json} values: type names as Python prints them,
 * truthiness, and the int/float split (`1` and `PyInt(2n**63n)` are ints, `PyFloat(1)` or `1.5`
 * floats).
 */
import type { Json, JsonObject, PyFloatLike, PyIntLike } from "../prefect/types.ts";
import { pyKeys, setOwn } from "./pyDict.ts";
import { isPyFloat } from "./pyFloat.ts";
import { isPyInt } from "./pyInt.ts";

export { setOwn };

/** True for a PyFloat or a PyInt: a number kept in a wrapper so Python sees the same value. */
export function isPyNumber(value: unknown): value is PyFloatLike | PyIntLike {
  return isPyFloat(value) || isPyInt(value);
}

/** True for a JSON object (Python dict), false for arrays, null, PyFloat, PyInt and scalars. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isPyNumber(value);
}

/** True when a JS number stands for a Python float (non-integral, or not finite). */
export function isFloatNumber(value: number): boolean {
  return !Number.isInteger(value);
}

/** Python's `type(value).__name__` for a JSON value: `NoneType`, `bool`, `int`, `float`, `str`, `list`, `dict`. */
export function pyTypeName(value: Json): string {
  if (value === null) return "NoneType";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return isFloatNumber(value) ? "float" : "int";
  if (typeof value === "string") return "str";
  if (isPyFloat(value)) return "float";
  if (isPyInt(value)) return "int";
  return Array.isArray(value) ? "list" : "dict";
}

/** Python's `bool(value)`: `None`, `False`, `0`, `0.0`, `""`, `[]` and `{}` are false; `nan` is true. */
export function pyTruthy(value: Json): boolean {
  if (value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return value.length > 0;
  if (isPyFloat(value)) return value.value !== 0;
  if (isPyInt(value)) return value.value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
}

/** A deep copy of a JSON value in the same key order (PyFloat and PyInt instances are immutable and shared). */
export function deepCopy<T extends Json>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => deepCopy(item)) as T;
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const key of pyKeys(value)) setOwn(out, key, deepCopy(value[key] as Json));
    return out as T;
  }
  return value;
}
