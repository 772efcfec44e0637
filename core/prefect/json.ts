/**
 * @module
 * The write side of `core/template/pyFloat.ts#parseJson`: request bodies are serialised so that a
 * {@link PyFloat} read from Prefect goes back as a float (`1.0`, not `1`). Without this, reading a
 * base job template and PATCHing it back would silently turn Python floats into ints, and
 * templating would then print `1` where Prefect prints `1.0`.
 */
import { stringify } from "lossless-json";
import { isPyFloat } from "../template/pyFloat.ts";
import type { Json, PyFloatLike } from "./types.ts";

/** Python's float repr for finite values: always with a `.` or an exponent. */
function pyFloatText(value: PyFloatLike): string {
  const n = value.value;
  if (Object.is(n, -0)) return "-0.0";
  const text = String(n);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

const PY_FLOAT_STRINGIFIER = {
  test: (value: unknown) => isPyFloat(value) && Number.isFinite(value.value),
  stringify: (value: unknown) => pyFloatText(value as PyFloatLike),
};

/** `JSON.stringify` that writes PyFloats as JSON floats (`1.0`). `undefined` properties are dropped. */
export function stringifyJson(value: unknown): string {
  return stringify(value, undefined, undefined, [PY_FLOAT_STRINGIFIER]) ?? "null";
}

/** Deep copy of a parsed JSON value. PyFloats are immutable and shared, so they keep their class. */
export function cloneJson<T extends Json>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (typeof value === "object" && value !== null && !isPyFloat(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value as Record<string, Json>)) out[key] = cloneJson(item);
    return out as T;
  }
  return value;
}
