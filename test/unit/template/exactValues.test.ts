/**
 * Big ints and integer-like keys through formatting, templating copies and re-serialisation:
 * what Python's str() and json print for the same values (the differential tests check the
 * same against Prefect itself).
 */
import { describe, expect, it } from "vitest";
import { cloneJson, stringifyJson } from "../../../core/prefect/json.ts";
import type { Json, JsonObject } from "../../../core/prefect/types.ts";
import { applyValues } from "../../../core/template/applyValues.ts";
import { copyDict, deleteOwn, dictFromEntries, pyKeys, setOwn } from "../../../core/template/pyDict.ts";
import { parseJson } from "../../../core/template/pyFloat.ts";
import { PyInt } from "../../../core/template/pyInt.ts";
import { pyRepr, pyStr } from "../../../core/template/pyStr.ts";
import { deepCopy, isJsonObject, pyTruthy, pyTypeName } from "../../../core/template/pyValue.ts";
import { resolveVariables } from "../../../core/template/variables.ts";

const TEXT =
  '{"ports": {"8080": "web", "443": "tls"}, "big": 9007199254740993, "b63": 9223372036854775808, ' +
  '"neg": -9223372036854775809, "f": 1.0, "mixed": {"name": "x", "10": [18446744073709551616], "2": null}}';
const values = parseJson(TEXT) as JsonObject;

describe("big ints", () => {
  it("print all their digits, alone and inside containers", () => {
    expect(pyStr(values.big as Json)).toBe("9007199254740993");
    expect(pyStr(values.neg as Json)).toBe("-9223372036854775809");
    expect(pyRepr([values.b63 as Json, 1, values.f as Json])).toBe("[9223372036854775808, 1, 1.0]");
  });

  it("are ints to Python: truthy, type int, not dicts", () => {
    const big = values.big as Json;
    expect([pyTruthy(big), pyTypeName(big), isJsonObject(big)]).toEqual([true, "int", false]);
  });

  it("keep their value whole and embedded through applyValues", () => {
    const out = applyValues({ whole: "{{ big }}", text: "id={{ b63 }}/{{ neg }}" }, values) as JsonObject;
    expect(out.whole).toBe(values.big);
    expect(out.text).toBe("id=9223372036854775808/-9223372036854775809");
  });

  it("go back to Prefect with all their digits", () => {
    expect(stringifyJson({ a: new PyInt(2n ** 64n), b: [values.neg], c: 10n ** 30n })).toBe(
      '{"a":18446744073709551616,"b":[-9223372036854775809],"c":1000000000000000000000000000000}',
    );
  });
});

describe("integer-like keys keep Python's order", () => {
  it("in str() of a parsed dict, also nested", () => {
    expect(pyStr(values.ports as Json)).toBe("{'8080': 'web', '443': 'tls'}");
    expect(pyStr(values.mixed as Json)).toBe("{'name': 'x', '10': [18446744073709551616], '2': None}");
  });

  it("in templating copies (whole-value placeholders, lists, variables)", async () => {
    const out = applyValues({ p: "{{ ports }}", l: ["{{ mixed }}"], s: "{{ ports }}" }, values) as JsonObject;
    expect(pyKeys(out.p as JsonObject)).toEqual(["8080", "443"]);
    expect(pyRepr(out.l as Json)).toBe("[{'name': 'x', '10': [18446744073709551616], '2': None}]");
    const api = { readVariable: async () => values.ports as Json };
    expect(await resolveVariables("v={{ prefect.variables.p }}", api)).toBe(
      "v={'8080': 'web', '443': 'tls'}",
    );
  });

  it("in a template whose own keys look like integers", () => {
    const template = dictFromEntries<Json>([
      ["9", "{{ big }}"],
      ["1", "x"],
    ]);
    expect(pyRepr(applyValues(template, values) as Json)).toBe("{'9': 9007199254740993, '1': 'x'}");
  });

  it("in deep copies and request bodies re-sent to Prefect", () => {
    const body = { base_job_template: cloneJson(values), copy: deepCopy(values.mixed as Json) };
    const text = stringifyJson(body);
    expect(text).toContain('"ports":{"8080":"web","443":"tls"}');
    expect(text).toContain('"copy":{"name":"x","10":[18446744073709551616],"2":null}');
    expect(stringifyJson(parseJson(text))).toBe(text);
  });

  it("as Python dict writes do: new keys last, existing keys in place, deleted keys gone", () => {
    const d = copyDict(values.ports as JsonObject);
    setOwn(d, "1", "new");
    setOwn(d, "8080", "again");
    setOwn(d, "z", "zz");
    expect(pyKeys(d)).toEqual(["8080", "443", "1", "z"]);
    deleteOwn(d, "443");
    setOwn(d, "443", "back");
    expect(pyRepr(d)).toBe("{'8080': 'again', '1': 'new', 'z': 'zz', '443': 'back'}");
  });
});
