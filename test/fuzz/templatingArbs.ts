/**
 * Generators for the templating fuzz: templates and values built from a character soup where the
 * syntax (`{{`, `}}`, `.`, `[0]`, `$`, `prefect.variables.`, odd whitespace) is likely, so the
 * random cases land on the parser's edges rather than on plain text.
 */
import fc from "fast-check";
import type { Json, JsonObject } from "../../core/prefect/types.ts";
import { NotSet, type Template } from "../../core/template/notSet.ts";
import { PyFloat } from "../../core/template/pyFloat.ts";

const f = (n: number) => new PyFloat(n);

export const ENV = { HOME_X: "/home/x", EMPTY: "", Q: 'it\'s "q"' };
export const VARIABLES: JsonObject = {
  v: "one",
  n: 42,
  fl: f(1),
  nul: null,
  lst: [1, "a", f(2.5)],
  obj: { k: "v" },
};
export const BLOCKS_BY_NAME: Array<[string, string, JsonObject]> = [
  ["secret", "s", { value: "hunter2" }],
  ["json", "j", { value: { k: [1, { z: f(1e16) }] } }],
  ["my-type", "b", { a: 1, b: "x", c: { d: [f(0.1), null, true] } }],
];
export const BLOCKS_BY_ID: Record<string, JsonObject> = { "id-1": { a: 1, b: "hello" } };

const pieces = fc.constantFrom(
  "{{",
  "}}",
  "{",
  "}",
  " ",
  "  ",
  "\n",
  "\t",
  "\u3000",
  "\x1c",
  "\ufeff",
  "\u00a0",
  "\u2028",
  "\u0085",
  ".",
  "..",
  "[",
  "]",
  "[0]",
  "[-1]",
  "[1]",
  "0",
  "1",
  "-",
  "_",
  "$",
  "$$",
  "x",
  "y",
  "a",
  "b",
  "name",
  "é",
  "名前",
  "😀",
  "\ud800",
  "\\",
  "'",
  '"',
  "a.b",
  "people",
  "ctx.",
  "prefect.variables.",
  "prefect.blocks.",
  "v",
  "n",
  "fl",
  "lst",
  "obj",
  "secret.s",
  "json.j",
  "my-type.b",
  "HOME_X",
  "EMPTY",
  "NOPE",
);
/** A string made of syntax-heavy pieces, sometimes of arbitrary code points. */
export const soup: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(pieces, { maxLength: 10 }).map((xs) => xs.join("")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: "binary" }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(pieces, fc.array(pieces, { maxLength: 4 }), pieces)
      .map(([a, m, b]) => `{{${a}${m.join("")}${b}}}`),
  },
);

const floats = fc.oneof(
  fc.constantFrom(1, 0.1, -0, 1e16, 1e-5, 5e-324, 1e22, Number.POSITIVE_INFINITY, Number.NaN, 123.456),
  fc.double(),
);
export const jsonValue: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 3, depthIdentifier: "fuzz-json" },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.constantFrom(2 ** 53, -(2 ** 53) - 2, 10 ** 20),
    floats.map((n) => f(n) as Json),
    soup,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(soup, tie("v"), { maxKeys: 3 }),
  ),
})).v;

/** Values keyed by names the soup's placeholders tend to use, plus arbitrary keys. */
export const values: fc.Arbitrary<JsonObject> = fc
  .tuple(
    fc.record(
      {
        x: jsonValue,
        y: jsonValue,
        a: jsonValue,
        name: jsonValue,
        people: jsonValue,
        é: jsonValue,
        "a.b": jsonValue,
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(soup, jsonValue, { maxKeys: 3 }),
  )
  .map(([known, extra]) => ({ ...extra, ...known }));

export const template = (leaf: fc.Arbitrary<Template>): fc.Arbitrary<Template> =>
  fc.letrec<{ t: Template }>((tie) => ({
    t: fc.oneof(
      { maxDepth: 3, depthIdentifier: "fuzz-tpl" },
      leaf,
      leaf,
      jsonValue,
      fc.constant<Template>(NotSet),
      fc.array(tie("t"), { maxLength: 3 }),
      fc.dictionary(soup, tie("t"), { maxKeys: 3 }),
    ),
  })).t;

export const refs = fc.constantFrom<Template>(
  { $ref: { block_document_id: "id-1" } },
  { $ref: { block_document_id: "nope" } },
  { $ref: {} },
  { $ref: "id-1" },
);
