/**
 * @module
 * A small exact JSON parser with Python's json semantics: floats as PyFloat, integers beyond 2^53
 * as PyInt, dicts in source key order (a repeated key keeps its first place and its last value).
 * `parseJson` uses it for the rare texts its fast path cannot mark (a `\u0000` escape) and for
 * malformed texts (it throws a SyntaxError).
 */
import type { Json, JsonObject } from "../prefect/types.ts";
import { setOwn } from "./pyDict.ts";
import { pyNumberOf } from "./pyFloat.ts";

/** A string token; `JSON.parse` of the token then checks its escapes and control characters. */
const STRING = /"(?:[^"\\]|\\.)*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** Parses `text`; throws a SyntaxError where `JSON.parse` would. */
export function parseJsonExact(text: string): Json {
  let at = 0;

  const fail = (): never => {
    throw new SyntaxError(`Unexpected token in JSON at position ${at}`);
  };
  const skip = (): void => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.test(text);
    at = WHITESPACE.lastIndex;
  };
  const token = (re: RegExp): string => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return fail();
    at = re.lastIndex;
    return m[0];
  };
  const literal = (word: string, value: Json): Json => {
    if (!text.startsWith(word, at)) fail();
    at += word.length;
    return value;
  };

  const value = (): Json => {
    skip();
    const c = text[at];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return JSON.parse(token(STRING)) as string;
    if (c === "t") return literal("true", true);
    if (c === "f") return literal("false", false);
    if (c === "n") return literal("null", null);
    return pyNumberOf(token(NUMBER)) as Json;
  };

  const array = (): Json[] => {
    at += 1;
    const out: Json[] = [];
    skip();
    if (text[at] === "]") {
      at += 1;
      return out;
    }
    for (;;) {
      out.push(value());
      skip();
      const c = text[at++];
      if (c === "]") return out;
      if (c !== ",") fail();
    }
  };

  const object = (): JsonObject => {
    at += 1;
    const out: JsonObject = {};
    skip();
    if (text[at] === "}") {
      at += 1;
      return out;
    }
    for (;;) {
      skip();
      if (text[at] !== '"') fail();
      const key = JSON.parse(token(STRING)) as string;
      skip();
      if (text[at++] !== ":") fail();
      setOwn(out, key, value());
      skip();
      const c = text[at++];
      if (c === "}") return out;
      if (c !== ",") fail();
    }
  };

  const result = value();
  skip();
  if (at !== text.length) fail();
  return result;
}
