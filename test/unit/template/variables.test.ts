import { describe, expect, it } from "vitest";
import { PyFloat } from "../../../core/template/pyFloat.ts";
import { resolveVariables } from "../../../core/template/variables.ts";
import { fakeTemplateApi } from "./fakes.ts";

const variables = {
  v1: "test_value_1",
  v2: "test_value_2",
  my_var: { key: "val" },
  fl: new PyFloat(1),
  nul: null,
};

describe("resolveVariables (Prefect's resolve_variables)", () => {
  it("substitutes embedded variables", async () => {
    const api = fakeTemplateApi({ variables });
    expect(await resolveVariables("x {{ prefect.variables.v1 }} y", api)).toBe("x test_value_1 y");
    expect(await resolveVariables("{{ prefect.variables.v1 }} - {{ prefect.variables.v2 }}", api)).toBe(
      "test_value_1 - test_value_2",
    );
    expect(await resolveVariables("a{{ prefect.variables.fl }}|{{ prefect.variables.nul }}", api)).toBe(
      "a1.0|None",
    );
  });

  it("resolves dict, nested dict and list forms, keeping types of whole placeholders", async () => {
    const api = fakeTemplateApi({ variables });
    expect(
      await resolveVariables(
        {
          a: "{{ prefect.variables.v1 }}",
          n: { m: "{{ prefect.variables.my_var }}" },
          l: ["value1", "{{ prefect.variables.v2 }}", 42],
        },
        api,
      ),
    ).toEqual({ a: "test_value_1", n: { m: { key: "val" } }, l: ["value1", "test_value_2", 42] });
    expect(await resolveVariables(42, api)).toBe(42);
    expect(await resolveVariables("{{ prefect.variables.nul }}", api)).toBe(null);
  });

  it("leaves other placeholder types untouched", async () => {
    const api = fakeTemplateApi({ variables });
    const other = ["{{ x }}", "{{ prefect.blocks.a.b }}", "{{ $HOME }}"];
    expect(await resolveVariables(other, api)).toEqual(other);
    expect(api.calls.variables).toEqual([]);
  });

  it("renders missing variables as '' and keeps the key", async () => {
    const api = fakeTemplateApi({ variables });
    expect(await resolveVariables({ k: "{{ prefect.variables.gone }}" }, api)).toEqual({ k: "" });
    expect(await resolveVariables("{{ prefect.variables.gone }} - {{ prefect.variables.gone2 }}", api)).toBe(
      " - ",
    );
  });

  it("caches reads per name within one call", async () => {
    const api = fakeTemplateApi({ variables });
    const out = await resolveVariables(
      {
        full: "{{ prefect.variables.my_var }}",
        inline: "prefix-{{ prefect.variables.my_var }}-suffix",
        missing_full: "{{ prefect.variables.gone }}",
        missing_inline: "x{{ prefect.variables.gone }}y",
        nested: { repeat: "{{ prefect.variables.my_var }}", other: "{{ prefect.variables.gone }}" },
      },
      api,
    );
    expect(out).toEqual({
      full: { key: "val" },
      inline: "prefix-{'key': 'val'}-suffix",
      missing_full: "",
      missing_inline: "xy",
      nested: { repeat: { key: "val" }, other: "" },
    });
    expect(api.calls.variables).toEqual(["my_var", "gone"]);
  });

  it("a template without variable placeholders comes back as an equal copy, nothing read", async () => {
    const api = fakeTemplateApi({ variables });
    const template = {
      "8080": "{{ prefect.blocks.a.b }}",
      env: { A: "x {{ other }}", B: null },
      l: ["prefect.variables.v1", new PyFloat(2), { k: [] }],
    };
    const out = await resolveVariables(template, api);
    expect(out).toEqual(template);
    expect(Object.keys(out as object)).toEqual(Object.keys(template));
    expect(out).not.toBe(template);
    expect((out as typeof template).env).not.toBe(template.env);
    expect(api.calls.variables).toEqual([]);
  });
});
