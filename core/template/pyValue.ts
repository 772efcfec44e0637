/**
 * @module
 * Small Python-semantics helpers over {@link Json} values: type names as Python prints them,
 * truthiness, and the int/float split (`1` is an int, `PyFloat(1)` or `1.5` a float).
 */
import type { Json, JsonObject } from "../prefect/types.ts";
import { isPyFloat } from "./pyFloat.ts";

/** True for a JSON object (Python dict), false for arrays, null, PyFloat and scalars. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isPyFloat(value);
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
  return Array.isArray(value) ? "list" : "dict";
}

/** Python's `bool(value)`: `None`, `False`, `0`, `0.0`, `""`, `[]` and `{}` are false; `nan` is true. */
export function pyTruthy(value: Json): boolean {
  if (value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return value.length > 0;
  if (isPyFloat(value)) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
}

/** `obj[key] = value` that also works for the key `__proto__` (an own property, as in Python). */
export function setOwn<T>(obj: { [key: string]: T }, key: string, value: T): void {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** A deep copy of a JSON value (PyFloat instances are immutable and shared). */
export function deepCopy<T extends Json>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => deepCopy(item)) as T;
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setOwn(out, key, deepCopy(item));
    return out as T;
  }
  return value;
}
