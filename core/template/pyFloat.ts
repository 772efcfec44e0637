/**
 * @module
 * Prefect's templating renders embedded values with Python's `str()`, where `1.0` prints as `1.0`
 * and `1` as `1`. `JSON.parse` loses that difference, rounds integers beyond 2^53 and lists
 * integer-like keys first, so everything pushpool reads from the Prefect API goes through
 * {@link parseJson}, which keeps floats as {@link PyFloat}, big integers as `PyInt` and the key
 * order of dicts like `{"8080": …, "443": …}` (see `pyDict.ts`). A PyFloat serialises back to a
 * plain JSON number and behaves as a number in arithmetic.
 */
import { parse } from "lossless-json";
import type { Json, PyFloatLike } from "../prefect/types.ts";
import { parseJsonExact } from "./jsonExact.ts";
import { withKeyOrder } from "./pyDict.ts";
import { type PyInt, pyIntFromLiteral } from "./pyInt.ts";

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

/** A JSON number literal as Python's json reads it: a float, an int, or a big int. */
export function pyNumberOf(literal: string): number | PyFloat | PyInt {
  return /[.eE]/.test(literal) ? new PyFloat(Number(literal)) : pyIntFromLiteral(literal);
}

/** JSON.parse with Python's json semantics: floats, exact ints and dict key order kept. */
export function parseJson(text: string): Json {
  // The native parser on a marked copy of the text: each float literal and each integer literal
  // beyond 2^53 (outside strings) becomes the string "\u0000<index>", and each integer-like key
  // "8080" the key "\u00008080", which JS keeps in place. No JSON text can otherwise produce a
  // \u0000; texts containing that escape take the exact (slower) parser.
  if (text.includes("\\u0000")) return parseJsonExact(text);
  const marks: Marks = { numbers: [], keys: false };
  const marked = markText(text, marks);
  if (marked === null) return parseJsonExact(text); // malformed: the exact parser's error
  const value = JSON.parse(marked) as Json;
  return marks.numbers.length > 0 || marks.keys ? (restore(value, marks.numbers) as Json) : value;
}

interface Marks {
  numbers: string[];
  keys: boolean;
}

const FLOAT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const INT = /^-?(?:0|[1-9]\d*)$/;

/**
 * The text with float literals, unsafe integer literals and integer-like keys marked (see
 * {@link parseJson}); strings are otherwise skipped whole. Null when a marked literal is not
 * valid JSON or a string is unterminated.
 */
function markText(text: string, marks: Marks): string | null {
  let out = "";
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return null; // unterminated string: the exact parser reports it
      const c1 = text.charCodeAt(i + 1);
      if (((c1 >= 48 && c1 <= 57) || c1 === 92) && isKey(text, end)) {
        const key = intLikeKey(text, i, end);
        if (key !== null) {
          out += `${text.slice(last, i)}"\\u0000${key}"`;
          last = end + 1;
          marks.keys = true;
        }
      }
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
      if (!float && i - start <= 15) continue; // at most 15 digits: a safe integer
      const literal = text.slice(start, i);
      if (!(float ? FLOAT : INT).test(literal)) return null;
      if (!float && Number.isSafeInteger(Number(literal))) continue;
      out += `${text.slice(last, start)}"\\u0000${marks.numbers.length}"`;
      marks.numbers.push(literal);
      last = i;
    } else i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** True when the string token ending at `end` is an object key (a `:` follows). */
function isKey(text: string, end: number): boolean {
  let j = end + 1;
  let c = text.charCodeAt(j);
  while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++j);
  return c === 58;
}

/**
 * The key token `text[start..end]` (quotes included), when it is integer-like (`"443"`, or
 * `"\u0034\u0034\u0033"`), as its decoded digits; else null.
 */
function intLikeKey(text: string, start: number, end: number): string | null {
  let k = start + 1;
  while (k < end) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) break;
    k++;
  }
  let digits: string;
  if (k === end) digits = text.slice(start + 1, end);
  else if (text.charCodeAt(k) === 92 /* \ */) {
    // An escape: decode the token (rare; only a key made of escaped digits matters).
    let decoded: unknown;
    try {
      decoded = JSON.parse(text.slice(start, end + 1));
    } catch {
      return null; // invalid escape: JSON.parse of the whole text reports it
    }
    if (typeof decoded !== "string" || !/^\d+$/.test(decoded)) return null;
    digits = decoded;
  } else return null;
  if (digits.length === 0 || (digits.length > 1 && digits.charCodeAt(0) === 48)) return null; // "", "01"
  return digits;
}

/** True when the quote at `at` is escaped (an odd run of backslashes before it). */
function isEscaped(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && text.charCodeAt(k) === 92) k--;
  return (at - 1 - k) % 2 === 1;
}

/** Replaces, in place, each marker string of the parsed value by its number and unmarks keys. */
function restore(value: unknown, numbers: readonly string[]): unknown {
  if (typeof value === "string")
    return value.charCodeAt(0) === 0 ? pyNumberOf(numbers[Number(value.slice(1))] ?? "NaN") : value;
  if (value === null || typeof value !== "object") return value;
  const container = value as Record<string, unknown>;
  const keys = Object.keys(container);
  let markedKey = false;
  for (const key of keys) {
    if (key.charCodeAt(0) === 0) markedKey = true;
    const child = container[key];
    if (typeof child === "string") {
      if (child.charCodeAt(0) === 0) container[key] = restore(child, numbers);
    } else if (child !== null && typeof child === "object") {
      const restored = restore(child, numbers);
      if (restored !== child) container[key] = restored;
    }
  }
  return markedKey ? unmarkKeys(container, keys) : value;
}

/** A copy of a parsed object with its marked keys (`"\u00008080"`) restored, in source order. */
function unmarkKeys(container: Record<string, unknown>, keys: readonly string[]): object {
  const out: Record<string, unknown> = {};
  const order: string[] = [];
  for (const key of keys) {
    const name = key.charCodeAt(0) === 0 ? key.slice(1) : key;
    const value = container[key];
    if (name === "__proto__")
      Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
    else out[name] = value;
    order.push(name);
  }
  return withKeyOrder(out, order);
}

/** The values reference: lossless-json's parser (a pure-JS parser: exact numbers, JS key order). */
export function parseJsonLossless(text: string): Json {
  return parse(text, null, pyNumberOf) as Json;
}
