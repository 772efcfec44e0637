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
  // The native parser, with each float literal (outside strings) swapped for a marker string that
  // no JSON text can otherwise produce (texts containing a \u0000 escape take the exact slow path).
  if (text.includes("\\u0000")) return parseJsonLossless(text);
  const floats: string[] = [];
  const marked = markFloats(text, floats);
  if (marked === null) return parseJsonLossless(text); // a malformed number: the reference's error
  const value = JSON.parse(marked) as Json;
  return floats.length ? (restoreFloats(value, floats) as Json) : value;
}

const FLOAT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The text with each number literal that has a fraction or an exponent replaced by the string
 * `"\u0000<index>"` (its spelling pushed on `floats`); strings are skipped whole. Null when a
 * float-looking literal is not valid JSON.
 */
function markFloats(text: string, floats: string[]): string | null {
  let out = "";
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return null; // unterminated string: the reference reports it
      i = end + 1;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const start = i;
      let float = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 46 || d === 101 || d === 69)
          float = true; // . e E
        else if (!((d >= 48 && d <= 57) || d === 43 || d === 45)) break;
      }
      if (!float) continue;
      const literal = text.slice(start, i);
      if (!FLOAT.test(literal)) return null;
      out += `${text.slice(last, start)}"\\u0000${floats.length}"`;
      floats.push(literal);
      last = i;
    } else i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** True when the quote at `at` is escaped (an odd run of backslashes before it). */
function isEscaped(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && text.charCodeAt(k) === 92) k--;
  return (at - 1 - k) % 2 === 1;
}

/** Replaces, in place, each marker string of the parsed value by its float. */
function restoreFloats(value: unknown, floats: readonly string[]): unknown {
  if (typeof value === "string" && value.charCodeAt(0) === 0)
    return toPython(floats[Number(value.slice(1))] ?? "NaN");
  if (value === null || typeof value !== "object") return value;
  const container = value as Record<string, unknown>;
  for (const key of Object.keys(container)) {
    const child = container[key];
    if (typeof child === "string" && child.charCodeAt(0) === 0) container[key] = restoreFloats(child, floats);
    else if (child !== null && typeof child === "object") restoreFloats(child, floats);
  }
  return value;
}

/** The reference: lossless-json's parser (a pure-JS parser: exact, and several times slower). */
export function parseJsonLossless(text: string): Json {
  return parse(text, null, toPython) as Json;
}
