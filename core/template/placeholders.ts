/**
 * @module
 * Finding `{{ name }}` placeholders the way Prefect does (`find_placeholders`). Names use Python's
 * Unicode `\w` (letters, numbers, `_`) plus `.`, `-`, `[`, `]` and `$`; the spaces around a name use
 * Python's `\s` (which includes newlines and the information separators U+001C–U+001F, but not
 * U+FEFF).
 */
import { TemplateValueError } from "./errors.ts";
import { isPyNumber } from "./pyValue.ts";

/** Python's `\s` for `str` patterns. */
const PY_SPACE =
  "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
/** One character of a placeholder name: Python's Unicode `\w` plus `. - [ ] $`. */
const NAME_CHAR = "[\\p{L}\\p{N}_.\\-\\[\\]$]";

const SOURCE = `\\{\\{${PY_SPACE}*(${NAME_CHAR}+)${PY_SPACE}*\\}\\}`;

/** A fresh global regex matching one placeholder; group 1 is the name. */
export function placeholderRegex(): RegExp {
  return new RegExp(SOURCE, "gu");
}

export const BLOCK_DOCUMENT_PREFIX = "prefect.blocks.";
export const VARIABLE_PREFIX = "prefect.variables.";
export const ENV_VAR_PREFIX = "$";

export type PlaceholderType = "BLOCK_DOCUMENT" | "VARIABLE" | "ENV_VAR" | "STANDARD";

/** One placeholder: the exact text matched (`{{ x }}`), its name (`x`) and its type. */
export interface Placeholder {
  readonly fullMatch: string;
  readonly name: string;
  readonly type: PlaceholderType;
}

/** The type of a placeholder name, by prefix: blocks, then variables, then `$` env vars. */
export function placeholderType(name: string): PlaceholderType {
  if (name.startsWith(BLOCK_DOCUMENT_PREFIX)) return "BLOCK_DOCUMENT";
  if (name.startsWith(VARIABLE_PREFIX)) return "VARIABLE";
  if (name.startsWith(ENV_VAR_PREFIX)) return "ENV_VAR";
  return "STANDARD";
}

/** The placeholders of one string, each distinct full match once, in order of first appearance. */
export function placeholdersOfString(text: string): Placeholder[] {
  // Most strings of a job template hold none: no regex for them (rendering runs once per dispatch).
  if (!text.includes("{{")) return [];
  const seen = new Map<string, Placeholder>();
  for (const match of text.matchAll(placeholderRegex())) {
    const fullMatch = match[0];
    const name = match[1] ?? "";
    if (!seen.has(fullMatch)) seen.set(fullMatch, { fullMatch, name, type: placeholderType(name) });
  }
  return [...seen.values()];
}

/**
 * Every placeholder in a template (Prefect's `find_placeholders`), as a set: recurses through dict
 * values and list items (never dict keys); numbers, booleans and null give none. Any other type
 * (e.g. `undefined`, a function) raises {@link TemplateValueError}.
 */
export function findPlaceholders(template: unknown): Placeholder[] {
  const found = new Map<string, Placeholder>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value === "number" || typeof value === "boolean" || isPyNumber(value))
      return;
    if (typeof value === "string") {
      for (const p of placeholdersOfString(value)) if (!found.has(p.fullMatch)) found.set(p.fullMatch, p);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (typeof value === "object" && isPlainObject(value)) {
      for (const item of Object.values(value)) visit(item);
    } else {
      throw new TemplateValueError(`Unexpected type: <class '${describeJsType(value)}'>`);
    }
  };
  visit(template);
  return [...found.values()];
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeJsType(value: unknown): string {
  if (typeof value === "symbol") return "type";
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}
