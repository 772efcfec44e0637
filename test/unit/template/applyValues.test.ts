import { describe, expect, it } from "vitest";
import type { Json, JsonObject } from "../../../core/prefect/types.ts";
import { applyValues, NotSet, type Template } from "../../../core/template/applyValues.ts";
import { getFromDict, pyInt } from "../../../core/template/lookup.ts";
import { PyFloat } from "../../../core/template/pyFloat.ts";

const env = { HOME_X: "/home/x", GREETING: undefined };
const apply = (t: Template, v: JsonObject = {}, o: Parameters<typeof applyValues>[2] = {}) =>
  applyValues(t, v, { env, ...o });

describe("applyValues: Prefect's apply_values vectors", () => {
  it("env placeholders read the injected env; missing ones become ''", () => {
    expect(apply("{{ $MISSING_ENV_VAR }}")).toBe("");
    expect(apply('{"greeting": "Hello {{name}}!", "message": {"text": "{{$$}}"}}', { name: "Dan" })).toBe(
      '{"greeting": "Hello Dan!", "message": {"text": ""}}',
    );
    expect(
      apply('{"greeting": "Hello {{name}}!", "message": {"text": "{{$GREETING}}"}}', { name: "Dan" }),
    ).toBe('{"greeting": "Hello Dan!", "message": {"text": ""}}');
    expect(apply("{{ $HOME_X }}|{{$HOME_X}}|{{ $$HOME_X }}")).toBe("/home/x|/home/x|/home/x");
    expect(apply("{{ $ }}")).toBe("");
    expect(apply("{{ $$ }}")).toBe("");
    expect(apply("a-{{ $NOPE }}-b")).toBe("a--b");
    expect(applyValues("{{ $HOME_X }}", {})).toBe(""); // no env injected: nothing is read from process.env
  });

  it("substitutes and preserves whole-placeholder types", () => {
    expect(apply("Hello, {{name}}!", { name: "Alice" })).toBe("Hello, Alice!");
    expect(
      apply(
        { name: "{{first_name}} {{last_name}}", age: "{{age}}" },
        { first_name: "Alice", last_name: "Smith", age: 30 },
      ),
    ).toEqual({ name: "Alice Smith", age: 30 });
  });

  it("drops missing keys, keeps null, drops NotSet unless removeNotset is false", () => {
    expect(apply({ last_name: "{{last_name}}", age: "{{age}}" }, { age: 30 })).toEqual({ age: 30 });
    expect(apply({ last_name: null, age: "{{age}}" }, { age: 30 })).toEqual({ last_name: null, age: 30 });
    expect(apply({ name: NotSet, age: "{{age}}" }, { age: 30 })).toEqual({ age: 30 });
    expect(apply({ name: NotSet, age: "{{age}}" }, { age: 30 }, { removeNotset: false })).toEqual({
      name: NotSet,
      age: 30,
    });
    expect(
      apply({ name: "Bob {{last_name}}", age: "{{age}}" }, { age: 30 }, { removeNotset: false }),
    ).toEqual({
      name: "Bob {{last_name}}",
      age: 30,
    });
    expect(
      apply([{ top_key: { name: NotSet, age: "{{age}}" } }], { age: 30 }, { removeNotset: false }),
    ).toEqual([{ top_key: { name: NotSet, age: 30 } }]);
  });

  it("renders lists item-wise and returns scalars as they are", () => {
    const values = { first_name: "Alice", last_name: "Smith" };
    expect(
      apply(["Hello, {{first_name}} {{last_name}}!", { name: "{{first_name}} {{last_name}}" }], values),
    ).toEqual(["Hello, Alice Smith!", { name: "Alice Smith" }]);
    const pi = new PyFloat(3.14);
    expect(apply(123)).toBe(123);
    expect(apply(pi)).toBe(pi);
    expect(apply(true)).toBe(true);
    expect(apply(null)).toBe(null);
  });

  it("leaves block and variable placeholders alone", () => {
    expect(apply("Hello {{prefect.blocks.document.name}}!", { name: "Alice" })).toBe(
      "Hello {{prefect.blocks.document.name}}!",
    );
    expect(apply("{{ prefect.variables.v }}", { v: 1 })).toBe("{{ prefect.variables.v }}");
    expect(apply("x-{{ prefect.variables.v }}-{{ y }}", { y: 2 })).toBe("x-{{ prefect.variables.v }}-2");
  });

  it("looks up dotted and indexed names", () => {
    const people = { superman: { first_name: "Superman", age: 30 } };
    expect(apply("Hello {{ person.name }}!", { person: { name: "Arthur" } })).toBe("Hello Arthur!");
    expect(apply("Hello {{ people[0].name }}!", { people: [{ name: "Arthur" }] })).toBe("Hello Arthur!");
    expect(apply({ k: "{{ people.superman }}" }, { people })).toEqual({ k: people.superman });
    expect(apply("{{ people[0] }}", { people: [people.superman] })).toEqual(people.superman);
  });

  it("skips placeholders by prefix", () => {
    const skip = { skipPrefixes: ["ctx."] };
    expect(apply("{{ ctx.flow.name }}", {}, skip)).toBe("{{ ctx.flow.name }}");
    expect(apply("job-{{ ctx.flow.name }}/{{ ctx.flow_run.name }}", {}, skip)).toBe(
      "job-{{ ctx.flow.name }}/{{ ctx.flow_run.name }}",
    );
    expect(apply("{{ ctx.flow.name }}-{{ version }}", { version: new PyFloat(1) }, skip)).toBe(
      "{{ ctx.flow.name }}-1.0",
    );
    expect(
      apply(
        { name: "{{ ctx.flow.name }}", image: "{{ build.image }}", l: [{ x: "{{ ctx.a }}" }] },
        { build: { image: "i:1" } },
        skip,
      ),
    ).toEqual({ name: "{{ ctx.flow.name }}", image: "i:1", l: [{ x: "{{ ctx.a }}" }] });
  });
});

describe("applyValues: verified extra vectors", () => {
  it("renders embedded values with Python str()", () => {
    const cases: Array<[Json, string]> = [
      [null, "aNone"],
      [true, "aTrue"],
      [new PyFloat(1), "a1.0"],
      [{ k: "v" }, "a{'k': 'v'}"],
      [[1, "a"], "a[1, 'a']"],
    ];
    for (const [x, expected] of cases) expect(apply("a{{x}}", { x })).toBe(expected);
    expect(apply("{{x}}", { x: null })).toBe(null);
  });

  it("handles missing, empty and repeated values", () => {
    expect(apply("{{x}}")).toBe(NotSet);
    expect(apply({ k: "{{x}}" })).toEqual({});
    expect(apply("a{{x}}b")).toBe("ab");
    expect(apply("{{x}}", { x: "" })).toBe("");
    expect(apply("{{ x }}{{x}}", { x: "v" })).toBe("vv");
    expect(apply("{{ a b }}", { a: 1 })).toBe("{{ a b }}");
    expect(apply("{{x}}}", { x: "X" })).toBe("X}");
    expect(apply("{{{x}}", { x: "X" })).toBe("{X");
    expect(apply("{ {x} }", { x: "X" })).toBe("{ {x} }");
    expect(apply("{{ 1x }}-{{ x- }}", { "1x": 1, "x-": 2 })).toBe("1-2");
    expect(apply("{{ é }}", { é: "u" })).toBe("u");
    expect(apply("{{\n x\n }}", { x: "nl" })).toBe("nl");
  });

  it("keeps missing env placeholders when removeNotset is false", () => {
    expect(apply("{{ $NOPE }}", {}, { removeNotset: false })).toBe("{{ $NOPE }}");
    expect(apply("a{{ $NOPE }}", {}, { removeNotset: false })).toBe("a{{ $NOPE }}");
  });

  it("never re-scans substituted text", () => {
    expect(apply("{{ a }}-{{ b }}", { a: "{{ b }}", b: "{{ $HOME_X }}" })).toBe("{{ b }}-{{ $HOME_X }}");
    expect(apply("x{{ a }}", { a: "$&" })).toBe("x$&");
  });

  it("indexes lists, strings and dicts like get_from_dict", () => {
    expect(apply("{{ a.0 }}", { a: ["z"] })).toBe("z");
    expect(apply("{{ a[-1] }}", { a: ["y", "z"] })).toBe("z");
    expect(apply("{{ a[0][1] }}", { a: [[0, "q"]] })).toBe("q");
    expect(apply("{{ a.b }}", { a: { b: 0 } })).toBe(0);
    expect(apply("{{ a.b }}", { "a.b": 5 })).toBe(NotSet);
    expect(apply("{{ a.1 }}", { a: { "1": "s" } })).toBe("s");
    expect(apply("{{ s.0 }}{{ s.-1 }}", { s: "😀xb" })).toBe("😀b");
    expect(apply("{{ a.01 }}|{{ a.1_0 }}|{{ a.٣ }}", { a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })).toBe(
      "1|10|3",
    );
  });

  it("mixes dicts, lists and scalars", () => {
    expect(
      apply({ k: "{{x}}", l: ["{{x}}", "{{y}}", "c{{y}}"], m: null, n: 5, o: true }, { x: "v" }),
    ).toEqual({
      k: "v",
      l: ["v", "c"],
      m: null,
      n: 5,
      o: true,
    });
    // Prefect 3.9.1 keeps the original list item when removeNotset is false (the contract's older
    // snapshot dropped it; the differential test pins 3.9.1's behaviour).
    expect(apply({ k: "{{x}}", l: ["{{x}}", "a"] }, {}, { removeNotset: false })).toEqual({
      k: "{{x}}",
      l: ["{{x}}", "a"],
    });
    expect(apply({ a: { b: "{{ m }}" } })).toEqual({ a: {} });
    expect(apply(["{{ m }}"])).toEqual([]);
  });

  it("keeps a __proto__ key as an own key", () => {
    const out = apply(JSON.parse('{"__proto__": "{{x}}"}') as Template, { x: 1 }) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe("getFromDict / pyInt", () => {
  it("follows Python int() for list indices", () => {
    expect(pyInt("12")).toBe(12);
    expect(pyInt("-3")).toBe(-3);
    expect(pyInt("+4")).toBe(4);
    expect(pyInt("1_000")).toBe(1000);
    expect(pyInt("٣٤")).toBe(34);
    expect(pyInt("𝟗")).toBe(9);
    for (const bad of ["", "_1", "1_", "1__0", "--1", "1.0", "x", "²"]) expect(pyInt(bad)).toBeNull();
  });

  it("returns NotSet for missing paths, wrong types and out-of-range indices", () => {
    const root: Json = { a: [1, { b: null }], s: "xy", n: 5 };
    expect(getFromDict(root, "a[1].b")).toBe(null);
    expect(getFromDict(root, "a.5")).toBe(NotSet);
    expect(getFromDict(root, "a.-3")).toBe(NotSet);
    expect(getFromDict(root, "a.x")).toBe(NotSet);
    expect(getFromDict(root, "n.0")).toBe(NotSet);
    expect(getFromDict(root, "a[1].b.c")).toBe(NotSet);
    expect(getFromDict(root, "s.x")).toBe(NotSet);
    expect(getFromDict(root, "toString")).toBe(NotSet);
  });
});
