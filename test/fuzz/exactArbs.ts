/**
 * Generators for the exactness fuzz (issue #10): values Python keeps exactly and a careless JS
 * port would not — integers around 2^53, 2^63, 2^64, 10^30 and beyond, dicts mixing integer-like
 * keys ("8080", "443", "0") with other keys, nested containers, unicode strings, floats — and
 * templates that use them whole (`{{ x }}`), embedded (`id={{ x }}`) or through integer-like
 * keypaths (`{{ d.8080 }}`).
 */
import fc from "fast-check";
import type { Json, JsonObject } from "../../core/prefect/types.ts";
import type { Template } from "../../core/template/notSet.ts";
import { dictFromEntries } from "../../core/template/pyDict.ts";
import { PyFloat } from "../../core/template/pyFloat.ts";
import { pyIntOf } from "../../core/template/pyInt.ts";

const EDGES = [2n ** 53n, 2n ** 63n, 2n ** 64n, 10n ** 30n, 2n ** 70n, 2n ** 32n];

/** Integers beyond 2^53 (±edge±k, and anything up to ±2^100), and safe ones, in canonical form. */
export const bigInt: fc.Arbitrary<Json> = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...EDGES), fc.bigInt(-3n, 3n), fc.boolean())
        .map(([edge, k, negative]) => (negative ? -edge : edge) + k),
    },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }) },
    { weight: 1, arbitrary: fc.constantFrom(2n ** 53n - 1n, -(2n ** 53n) + 1n, 0n) },
  )
  .map((n) => pyIntOf(n) as Json);

const float: fc.Arbitrary<Json> = fc
  .oneof(
    fc.constantFrom(2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 1e16, 1e30, 0.1, -0, 1, 1e22, 5e-324, 1.5),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  )
  .map((n) => new PyFloat(n) as Json);

/**
 * Characters Python 3.11 (Unicode 14) and the JS engine (a newer Unicode) classify alike: ASCII,
 * controls, Latin-1, CJK, an old emoji, a lone surrogate, private use, an unassigned code point.
 * (Characters assigned after Unicode 14 print differently: see core/template/pyStr.ts.)
 */
const char = fc.constantFrom(
  ..."abc XYZ019_-.:/'\"\\{}[]$",
  "\x00",
  "\n",
  "\t",
  "\x7f",
  "\x85",
  "\xa0",
  "\xad",
  "é",
  "ß",
  "Ω",
  "ж",
  "名",
  "前",
  "😀",
  "𠀀",
  "\u0301",
  "\u200b",
  "\u2028",
  "\u3000",
  "\ud800",
  "\ue000",
  "\u0378",
  "\ufeff",
);
/** Keys JS would reorder, keys it would not, and near misses ("01", "-1", "1.5", "٣"). */
export const key: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("8080", "443", "0", "1", "2", "10", "4294967294", "4294967295", "99999999999999999999"),
  fc.constantFrom("01", "-1", "1.5", "٣", "a", "b", "name", "名前", "x y", "é"),
  fc.nat({ max: 10_000 }).map(String),
  fc.array(char, { maxLength: 4 }).map((cs) => cs.join("")),
);

const text: fc.Arbitrary<string> = fc.oneof(
  fc.array(char, { maxLength: 8 }).map((cs) => cs.join("")),
  fc.string({ maxLength: 6 }),
  fc.constantFrom("", "8080", "it's", 'say "hi"', "名前\n", "{{ x }}", "\\"),
);

/** A dict built in generation order (a repeated key keeps its first place and last value). */
export const dictOf = <T>(value: fc.Arbitrary<T>, maxKeys = 4): fc.Arbitrary<{ [key: string]: T }> =>
  fc.array(fc.tuple(key, value), { maxLength: maxKeys }).map((entries) => dictFromEntries(entries));

export const value: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 3, depthIdentifier: "exact-json" },
    { weight: 4, arbitrary: bigInt },
    { weight: 1, arbitrary: fc.integer().map((n) => n as Json) },
    { weight: 2, arbitrary: float },
    { weight: 2, arbitrary: text.map((s) => s as Json) },
    { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false) },
    { weight: 2, arbitrary: fc.array(tie("v"), { maxLength: 3 }) },
    { weight: 3, arbitrary: dictOf(tie("v")).map((d) => d as Json) },
  ),
})).v;

/** A dict value (block data must be one). */
export const dict: fc.Arbitrary<JsonObject> = dictOf(value, 5);

/** `{{ <path> }}` whole, or embedded among text (up to `max` placeholders), with `path` from `paths`. */
export function placeholderString(paths: fc.Arbitrary<string>, max = 2): fc.Arbitrary<string> {
  const one = paths.map((p) => `{{ ${p} }}`);
  const forms = [one, fc.tuple(text, one, text).map(([a, p, b]) => `${a}${p}${b}`)];
  if (max > 1)
    forms.push(fc.tuple(one, fc.constantFrom("", "-", " / "), one).map(([a, s, b]) => `${a}${s}${b}`));
  return fc.oneof(...forms);
}

/** Templates: placeholder strings in lists and in dicts with integer-like keys. */
export function templateOf(leaf: fc.Arbitrary<Template>): fc.Arbitrary<Template> {
  return fc.letrec<{ t: Template }>((tie) => ({
    t: fc.oneof(
      { maxDepth: 2, depthIdentifier: "exact-tpl" },
      { weight: 4, arbitrary: leaf },
      { weight: 1, arbitrary: fc.array(tie("t"), { maxLength: 3 }) },
      { weight: 2, arbitrary: dictOf(tie("t"), 3).map((d) => d as Template) },
    ),
  })).t;
}

/** Keypaths into the values `x`, `y` and the dict `d`, some through integer-like keys. */
export const valuePaths = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("x", "y", "d") },
  { weight: 2, arbitrary: fc.constantFrom("x.0", "x[1]", "y.8080", "d.8080", "d.443", "d.0", "d.10", "d.a") },
  { weight: 1, arbitrary: key.map((k) => `d.${k}`) },
);
