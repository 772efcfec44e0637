/**
 * @module
 * Python's `str()` and `repr()` of JSON values, as Prefect's templating uses them when it embeds a
 * value in a string (`"a{{ x }}"` with `x = 1.0` gives `"a1.0"`, with `x = {"k": "v"}` gives
 * `"a{'k': 'v'}"`). Printability follows the JS engine's Unicode tables, which agree with Python's
 * for every character assigned in Unicode 14 (Python 3.11).
 */
import type { Json } from "../prefect/types.ts";
import { pyKeys } from "./pyDict.ts";
import { isPyFloat } from "./pyFloat.ts";
import { isPyInt } from "./pyInt.ts";

/** Python `str(value)`: strings as themselves, everything else as {@link pyRepr}. */
export function pyStr(value: Json): string {
  return typeof value === "string" ? value : pyRepr(value);
}

/**
 * Python `repr(value)`: `None`, `True`, `1`, `1.0`, `'s'`, `[1, 'a']`, `{'k': 'v'}`. Big ints print
 * all their digits; dicts print in their Python key order.
 */
export function pyRepr(value: Json): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return Number.isInteger(value) ? pyIntRepr(value) : pyFloatRepr(value);
  if (typeof value === "string") return pyStrRepr(value);
  if (isPyFloat(value)) return pyFloatRepr(value.value);
  if (isPyInt(value)) return value.value.toString();
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  const items = pyKeys(value).map((k) => `${pyStrRepr(k)}: ${pyRepr(value[k] as Json)}`);
  return `{${items.join(", ")}}`;
}

/** An integral JS number as a Python int (no exponent, even beyond 1e21). */
export function pyIntRepr(value: number): string {
  return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip, fixed notation when the decimal
 * exponent is in [-4, 16) (with `.0` for integral values), otherwise `1e+16` / `1.5e-05`.
 */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Number.POSITIVE_INFINITY) return "inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  const [mantissa = "", exponent = "0"] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(exponent);
  if (exp < -4 || exp >= 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const abs = Math.abs(exp);
    return `${sign}${head}e${exp < 0 ? "-" : "+"}${abs < 10 ? `0${abs}` : abs}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, "0");
}

/**
 * Python's `repr(str)`: single quotes unless the text contains `'` and no `"`; `\\`, `\n`, `\r`,
 * `\t` escaped; other non-printable characters as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
 */
export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f || !NON_PRINTABLE.test(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}
