/**
 * @module
 * Job-configuration fields read the way Prefect's pydantic models read them in lax mode, shared by
 * every backend (one set of rules: pydantic's, checked against pydantic itself in the tests).
 */
import type { Json } from "../prefect/types.ts";
import { isPyFloat } from "../template/pyFloat.ts";

const TRUE_WORDS = new Set(["1", "true", "t", "yes", "y", "on"]);
const FALSE_WORDS = new Set(["0", "false", "f", "no", "n", "off"]);

/**
 * pydantic's lax `bool`: booleans; the integers and floats 0 and 1 (`1.0` too); the words above in
 * any case, not trimmed (`" true"` is refused). `undefined` when the value is none of these.
 */
export function laxBool(value: Json | undefined): boolean | undefined {
  if (typeof value === "boolean") return value;
  const n = isPyFloat(value) ? value.value : value;
  if (typeof n === "number") return n === 0 ? false : n === 1 ? true : undefined;
  if (typeof n === "string") {
    const word = n.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return undefined;
}
