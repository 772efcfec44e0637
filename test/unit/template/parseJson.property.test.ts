/**
 * parseJson's fast path (native JSON.parse with float literals marked) against the exact reference
 * parser (lossless-json): same values, same floats-vs-ints, on arbitrary JSON written with Python's
 * float spellings, strings full of digits, quotes and escapes (keys unique: the reference refuses
 * duplicates, which Python's json and the fast path resolve to the last), and on invalid texts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJson, parseJsonLossless } from "../../../core/template/pyFloat.ts";

/** A JSON text whose numbers are spelled as Python would (`1.0`, `1e+16`, `-0.5`) or as ints. */
const number = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: -1000, max: 1000 }).map((n) => `${n}.0`),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((d) => (/^-?\d+$/.test(String(d)) ? `${d}.0` : String(d))),
  fc.constantFrom(
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1e5",
    "1E-7",
    "2.5e+10",
    "9007199254740993",
    "123456789012345678901234",
  ),
);
const text = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '1.0"',
    '\\"1.5\\"',
    "12:30:45.123456",
    "2026-11-28T13:29:01.123456Z",
    "a\\u0000b",
    "1e5",
    "\\\\",
  ),
);
const str = text.map((s) => JSON.stringify(s));
const value: fc.Arbitrary<string> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    number,
    str,
    fc.constantFrom("true", "false", "null"),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 5 }).map((items) => `[${items.join(", ")}]`),
  object: fc
    .uniqueArray(fc.tuple(str, tie("value")), { maxLength: 5, selector: ([k]) => JSON.parse(k) })
    .map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(", ")}}`),
})).value as fc.Arbitrary<string>;

function outcome(parse: (t: string) => unknown, t: string) {
  try {
    return { ok: parse(t) };
  } catch {
    return { error: true };
  }
}

describe("parseJson (fast path) equals the lossless reference", () => {
  it("on arbitrary JSON with Python float spellings", () => {
    fc.assert(
      fc.property(value, (t) => {
        expect(outcome(parseJson, t)).toEqual(outcome(parseJsonLossless, t));
      }),
      { numRuns: 2_000 },
    );
  });

  it("on texts that are not valid JSON: both fail", () => {
    for (const t of ["01.5", "1.", ".5", "[1.0,]", '{"a": 1.0', "-", "1.0 2.0", '"\\u0000" 1.5'])
      expect([t, outcome(parseJson, t)]).toEqual([t, outcome(parseJsonLossless, t)]);
  });

  it("takes the last of duplicate keys, as Python's json does (the reference refuses them)", () => {
    expect(parseJson('{"a": 1.0, "a": 2}')).toEqual({ a: 2 });
  });

  it("keeps floats apart from ints, and strings that look like numbers untouched", () => {
    const parsed = parseJson('{"f": 1.0, "i": 1, "s": "1.0", "nul": "a\\u0000 2.5", "l": [2e3, -0.5]}');
    expect(JSON.stringify(parsed)).toBe('{"f":1,"i":1,"s":"1.0","nul":"a\\u0000 2.5","l":[2000,-0.5]}');
    expect(parsed).toEqual(
      parseJsonLossless('{"f": 1.0, "i": 1, "s": "1.0", "nul": "a\\u0000 2.5", "l": [2e3, -0.5]}'),
    );
  });
});
