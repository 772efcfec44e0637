/**
 * parseJson keeps what Python's json keeps: integers exactly (`PyInt` beyond 2^53), floats as
 * floats, and the source key order of dicts whose keys look like integers ("8080" before "443").
 * Checked against a model of each generated text (its entries in order, its number spellings),
 * on both the fast path and the exact parser (texts with a \u0000 escape, and directly).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonExact } from "../../../core/template/jsonExact.ts";
import { pyKeys } from "../../../core/template/pyDict.ts";
import { isPyFloat, parseJson } from "../../../core/template/pyFloat.ts";
import { isPyInt } from "../../../core/template/pyInt.ts";

type Model =
  | { kind: "int"; text: string }
  | { kind: "float"; text: string }
  | { kind: "str"; value: string }
  | { kind: "lit"; text: "true" | "false" | "null" }
  | { kind: "arr"; items: Model[] }
  | { kind: "obj"; entries: Array<[string, Model]> };

const intText = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom("9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740993", "-0"),
  fc.constantFrom(
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    `1${"0".repeat(30)}`,
  ),
);
const floatText = fc.oneof(
  fc.constantFrom("1.0", "-0.0", "1e5", "2.5E-3", "9007199254740993.0", "1e400"),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((d) => (/^-?\d+$/.test(String(d)) ? `${d}.0` : String(d))),
);
const key = fc.oneof(
  fc.constantFrom("8080", "443", "0", "1", "10", "4294967295", "99999999999999999999"),
  fc.constantFrom("01", "-1", "1.5", "a", "", "__proto__", "٣", "\u0000", "x\u00001"),
  fc.nat().map(String),
  fc.string({ maxLength: 4 }),
);
const str = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("1.0", '"', "\\", "\u0000", "443"));
const ws = fc.constantFrom("", " ", "\n\t ");

const model: fc.Arbitrary<Model> = fc.letrec<{ m: Model }>((tie) => ({
  m: fc.oneof(
    { maxDepth: 4, depthIdentifier: "model" },
    intText.map((text): Model => ({ kind: "int", text })),
    floatText.map((text): Model => ({ kind: "float", text })),
    str.map((value): Model => ({ kind: "str", value })),
    fc.constantFrom<Model>({ kind: "lit", text: "true" }, { kind: "lit", text: "null" }),
    fc.array(tie("m"), { maxLength: 4 }).map((items): Model => ({ kind: "arr", items })),
    fc
      .uniqueArray(fc.tuple(key, tie("m")), { maxLength: 6, selector: ([k]) => k })
      .map((entries): Model => ({ kind: "obj", entries })),
  ),
})).m;

/** A JSON string for `text`; an all-digit key sometimes spelled with `\u003N` escapes. */
const quote = (text: string, escapeDigits: boolean) =>
  escapeDigits && /^\d+$/.test(text)
    ? `"${[...text].map((d) => `\\u003${d}`).join("")}"`
    : JSON.stringify(text);

function write(m: Model, sp: string, escDigits: boolean): string {
  switch (m.kind) {
    case "int":
    case "float":
    case "lit":
      return m.text;
    case "str":
      return JSON.stringify(m.value);
    case "arr":
      return `[${sp}${m.items.map((i) => write(i, sp, escDigits)).join(`,${sp}`)}${sp}]`;
    case "obj":
      return `{${sp}${m.entries.map(([k, v]) => `${quote(k, escDigits)}${sp}:${sp}${write(v, sp, escDigits)}`).join(`,${sp}`)}${sp}}`;
  }
}

/** What Python's json gives for the model, in a comparable form. */
function expected(m: Model): unknown {
  switch (m.kind) {
    case "int":
      return ["int", BigInt(m.text).toString()];
    case "float":
      return ["float", Number(m.text)];
    case "str":
      return m.value;
    case "lit":
      return JSON.parse(m.text);
    case "arr":
      return m.items.map(expected);
    case "obj":
      return ["dict", m.entries.map(([k, v]) => [k, expected(v)])];
  }
}

/** The parsed value in the same form, dicts listed with `pyKeys` (the order consumers see). */
function actual(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? ["int", BigInt(v).toString()] : ["float", v];
  if (isPyInt(v)) return ["int", v.value.toString()];
  if (isPyFloat(v)) return ["float", v.value];
  if (Array.isArray(v)) return v.map(actual);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return ["dict", pyKeys(o).map((k) => [k, actual(o[k])])];
  }
  return v;
}

describe("parseJson keeps Python's ints and key order", () => {
  it("equals the model on the fast path and on the exact parser", () => {
    fc.assert(
      fc.property(model, ws, fc.boolean(), (m, sp, escDigits) => {
        const text = write(m, sp, escDigits);
        expect(actual(parseJson(text))).toEqual(expected(m));
        expect(actual(parseJsonExact(text))).toEqual(expected(m));
      }),
      { numRuns: 2_000 },
    );
  });

  it("big ints are PyInts only beyond 2^53; safe ones stay numbers", () => {
    const v = parseJson("[9007199254740991, 9007199254740992, -9007199254740993, 1.0]") as unknown[];
    expect(v[0]).toBe(9007199254740991);
    expect(isPyInt(v[1]) && v[1].value).toBe(2n ** 53n);
    expect(isPyInt(v[2]) && v[2].value).toBe(-(2n ** 53n) - 1n);
    expect(isPyFloat(v[3])).toBe(true);
  });

  it("a repeated key keeps its first place and its last value, as a Python dict", () => {
    for (const parse of [parseJson, parseJsonExact]) {
      const v = parse('{"1": 1, "b": 2, "1": 3, "0": 4}') as Record<string, unknown>;
      expect(pyKeys(v)).toEqual(["1", "b", "0"]);
      expect(v["1"]).toBe(3);
    }
  });

  it("the exact parser refuses what JSON.parse refuses", () => {
    for (const t of ["", "[1,]", '{"a" 1}', "01", "1.", '"\\x"', '"a\nb"', "[1] x", "{'a': 1}", "NaN"]) {
      expect(() => JSON.parse(t), t).toThrow(SyntaxError);
      expect(() => parseJsonExact(t), t).toThrow(SyntaxError);
    }
  });
});
