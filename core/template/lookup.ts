/**
 * @module
 * Prefect's `get_from_dict`: look up `a.b[0].c` in nested dicts and lists. `[` becomes `.` and `]`
 * is dropped, then each segment indexes one level. Dict keys match exactly (a JSON dict only has
 * string keys, so `"1"` never finds an int key); a segment that Python's `int()` accepts indexes a
 * list (negative indices count from the end) or picks one character of a string. Anything else
 * (a missing key, an index out of range, indexing a number or null) gives {@link NotSet}.
 */
import type { Json } from "../prefect/types.ts";
import { NotSet, type NotSetType } from "./notSet.ts";
import { isJsonObject } from "./pyValue.ts";

const INT_SYNTAX = /^[+-]?\p{Nd}+(?:_\p{Nd}+)*$/u;
const DIGIT = /^\p{Nd}$/u;

/** The value of one Unicode decimal digit: its distance from the start of its run of digits, mod 10. */
function digitValue(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let start = cp;
  while (DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
  return (cp - start) % 10;
}

/**
 * Python's `int(text)` for a decimal string, or null where Python raises ValueError. (Python also
 * strips surrounding whitespace; placeholder names never contain any.)
 */
export function pyInt(text: string): number | null {
  const trimmed = text;
  if (!INT_SYNTAX.test(trimmed)) return null;
  let n = 0;
  for (const ch of trimmed) {
    if (ch === "+" || ch === "-" || ch === "_") continue;
    n = n * 10 + digitValue(ch);
  }
  return trimmed.startsWith("-") ? -n : n;
}

/** Python's `seq[index]` bounds rule: the item, or undefined for an index out of range. */
function pick<T>(items: readonly T[], index: number): T | undefined {
  const i = index < 0 ? items.length + index : index;
  return i >= 0 && i < items.length ? items[i] : undefined;
}

/** Prefect's `get_from_dict(root, path, NotSet)`. */
export function getFromDict(root: Json, path: string): Json | NotSetType {
  const keys = path.replaceAll("[", ".").replaceAll("]", "").split(".");
  let value: Json = root;
  for (const key of keys) {
    if (isJsonObject(value)) {
      if (!Object.hasOwn(value, key)) return NotSet;
      value = value[key] as Json;
      continue;
    }
    const index = pyInt(key);
    if (index === null) return NotSet;
    let next: Json | undefined;
    if (Array.isArray(value)) next = pick(value, index);
    else if (typeof value === "string") next = pick(Array.from(value), index);
    if (next === undefined) return NotSet;
    value = next;
  }
  return value;
}
