import { describe, expect, it } from "vitest";
import { TemplateValueError } from "../../../core/template/errors.ts";
import { NotSet } from "../../../core/template/notSet.ts";
import { findPlaceholders, placeholderType } from "../../../core/template/placeholders.ts";
import { PyFloat } from "../../../core/template/pyFloat.ts";

const names = (template: unknown) =>
  findPlaceholders(template)
    .map((p) => p.name)
    .sort();

describe("findPlaceholders (Prefect's find_placeholders)", () => {
  it("finds none in an empty string", () => {
    expect(findPlaceholders("")).toEqual([]);
  });

  it("finds one or several", () => {
    expect(findPlaceholders("Hello {{name}}!")).toEqual([
      { fullMatch: "{{name}}", name: "name", type: "STANDARD" },
    ]);
    expect(names("Hello {{first_name}} {{last_name}}!")).toEqual(["first_name", "last_name"]);
    expect(names("Hello {{    first_name }} {{ last_name }}!")).toEqual(["first_name", "last_name"]);
  });

  it("recurses through dict values (never keys) and list items", () => {
    expect(names({ greeting: "Hello {{name}}!", message: "{{greeting}}" })).toEqual(["greeting", "name"]);
    expect(
      names({ a: { b: ["{{ x }}", 1, new PyFloat(2), true, null, { c: "{{y}}" }] }, "{{k}}": 1 }),
    ).toEqual(["x", "y"]);
  });

  it("keeps the $ outside the braces out of the name", () => {
    expect(names("Hello {{name}}! Your balance is $" + "{{balance}}.")).toEqual(["balance", "name"]);
  });

  it("has set semantics on the full match", () => {
    expect(findPlaceholders("{{x}}{{x}}")).toHaveLength(1);
    expect(findPlaceholders("{{ x }}{{x}}").map((p) => p.fullMatch)).toEqual(["{{ x }}", "{{x}}"]);
    expect(findPlaceholders({ a: "{{x}}", b: ["{{x}}"] })).toHaveLength(1);
  });

  it("types placeholders by prefix", () => {
    expect(findPlaceholders("Hello {{prefect.blocks.document.name}}!")).toEqual([
      {
        fullMatch: "{{prefect.blocks.document.name}}",
        name: "prefect.blocks.document.name",
        type: "BLOCK_DOCUMENT",
      },
    ]);
    expect(findPlaceholders("Hello {{$MY_ENV_VAR}}!")[0]).toMatchObject({
      name: "$MY_ENV_VAR",
      type: "ENV_VAR",
    });
    expect(placeholderType("prefect.variables.v")).toBe("VARIABLE");
    expect(placeholderType("a$b")).toBe("STANDARD");
    expect(findPlaceholders("{{ prefect.blocks.only-type }}")).toHaveLength(1);
  });

  it("uses Python's Unicode \\w and \\s", () => {
    expect(names("{{ é }} {{ 名前 }} {{ ٣ }}")).toEqual(["é", "٣", "名前"]);
    expect(names("{{\n x \n}}")).toEqual(["x"]);
    expect(names("{{\x1cx\x1f}}")).toEqual(["x"]);
    expect(names("{{\ufeffx}}")).toEqual([]); // U+FEFF is JS \s but not Python \s
    expect(names("{{ e\u0301 }}")).toEqual([]); // combining marks are not Python \w
  });

  it("rejects malformed names and braces", () => {
    expect(names("{{ a b }}")).toEqual([]);
    expect(names("{ {x} }")).toEqual([]);
    expect(findPlaceholders("{{x}}}")[0]?.fullMatch).toBe("{{x}}");
    expect(findPlaceholders("{{{x}}")[0]?.fullMatch).toBe("{{x}}");
    expect(names("{{ 1x }}{{ x- }}{{ a[0].b }}")).toEqual(["1x", "a[0].b", "x-"]);
  });

  it("gives nothing for scalars and raises ValueError for other types", () => {
    for (const t of [1, new PyFloat(1.5), true, null]) expect(findPlaceholders(t)).toEqual([]);
    expect(() => findPlaceholders(undefined)).toThrow(TemplateValueError);
    expect(() => findPlaceholders(NotSet)).toThrow("Unexpected type: <class 'type'>");
    expect(() => findPlaceholders(new Map())).toThrow("Unexpected type: <class 'Map'>");
  });
});
