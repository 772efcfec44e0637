/**
 * @module
 * The write side of `core/template/pyFloat.ts#parseJson`: request bodies are serialised so that
 * what was read from Prefect goes back as Python had it — a {@link PyFloat} as a float (`1.0`, not
 * `1`), a big int (`PyInt`) with all its digits, a dict with integer-like keys in its own key
 * order. Without this, reading a base job template and PATCHing it back would silently turn
 * floats into ints, round big ints and reorder `{"8080": …, "443": …}`.
 */
import { pyKeys, setOwn } from "../template/pyDict.ts";
import { isPyFloat } from "../template/pyFloat.ts";
import { isPyInt } from "../template/pyInt.ts";
import type { Json, PyFloatLike } from "./types.ts";

/** Python's float repr for finite values: always with a `.` or an exponent. */
function pyFloatText(value: PyFloatLike): string {
  const n = value.value;
  if (Object.is(n, -0)) return "-0.0";
  const text = String(n);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/**
 * `JSON.stringify` (compact) that writes PyFloats as JSON floats (`1.0`), big ints and bigints as
 * their digits, and dicts in their Python key order. `undefined` properties are dropped.
 */
export function stringifyJson(value: unknown): string {
  return write(value) ?? "null";
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return undefined; // undefined, functions, symbols
  }
  if (value === null) return "null";
  if (isPyFloat(value)) return Number.isFinite(value.value) ? pyFloatText(value) : "null";
  if (isPyInt(value)) return value.value.toString();
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? "null").join(",")}]`;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return write(toJSON.call(value));
  const parts: string[] = [];
  for (const key of pyKeys(value)) {
    const text = write((value as Record<string, unknown>)[key]);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(",")}}`;
}

/** Deep copy of a parsed JSON value in the same key order. PyFloats and PyInts are immutable and shared. */
export function cloneJson<T extends Json>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (typeof value === "object" && value !== null && !isPyFloat(value) && !isPyInt(value)) {
    const out: Record<string, Json> = {};
    for (const key of pyKeys(value))
      setOwn(out, key, cloneJson((value as Record<string, Json>)[key] as Json));
    return out as T;
  }
  return value;
}

/**
 * Re-indents a JSON text (two spaces, like `JSON.stringify(v, null, 2)`) without parsing it, so
 * every literal — an integer beyond 2^53, `1.0` — and the key order stay exactly as written.
 */
export function indentJson(text: string): string {
  let out = "";
  let depth = 0;
  const newline = () => `\n${"  ".repeat(depth)}`;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end;
    } else if (ch === "{" || ch === "[") {
      const close = ch === "{" ? "}" : "]";
      if (text[i + 1] === close) {
        out += ch + close;
        i++;
      } else {
        depth++;
        out += ch + newline();
      }
    } else if (ch === "}" || ch === "]") {
      depth--;
      out += newline() + ch;
    } else if (ch === ",") out += `,${newline()}`;
    else if (ch === ":") out += ": ";
    else if (!/\s/.test(ch)) out += ch;
  }
  return out;
}
