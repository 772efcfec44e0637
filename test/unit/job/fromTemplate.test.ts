import { describe, expect, it } from "vitest";
import { expandDottedKeys, fromTemplateAndValues, variableDefaults } from "../../../core/job/fromTemplate.ts";
import type { BaseJobTemplate, JsonObject } from "../../../core/prefect/types.ts";
import { JobConfigurationError, TemplateTypeError } from "../../../core/template/errors.ts";
import { PyFloat } from "../../../core/template/pyFloat.ts";
import { fakeTemplateApi } from "../template/fakes.ts";

const std = { command: "{{ command }}", env: "{{ env }}", labels: "{{ labels }}", name: "{{ name }}" };
const template = (jobConfiguration: JsonObject, properties: JsonObject = {}): BaseJobTemplate => ({
  job_configuration: jobConfiguration,
  variables: { type: "object", properties },
});
const render = (t: BaseJobTemplate, values: JsonObject, env: Record<string, string> = {}) =>
  fromTemplateAndValues(t, values, {
    api: fakeTemplateApi({ byId: { b1: { a: 1, b: "hello" } }, variables: { v: "var" } }),
    env,
  });

describe("fromTemplateAndValues (Prefect's from_template_and_values)", () => {
  it("ignores unused variables and fills base fields", async () => {
    expect(await render(template(std), { unused: 1, name: "n" })).toEqual({
      command: null,
      env: {},
      labels: {},
      name: "n",
    });
  });

  it("ignores a command default when the template has no {{ command }}", async () => {
    const out = await render(template({ env: "{{ env }}" }, { command: { default: "echo hi" } }), {});
    expect(out.command).toBeNull();
  });

  it("passes hard-coded literals through", async () => {
    const pf = new PyFloat(1.1);
    const out = await render(template({ ...std, a: 1, b: pf, c: true }), {});
    expect(out).toMatchObject({ a: 1, b: pf, c: true });
  });

  it("renders list templates item-wise", async () => {
    const out = await render(template({ ...std, args: ["{{ a }}", "x-{{ a }}", "{{ b }}"] }), {
      a: new PyFloat(1),
    });
    expect(out.args).toEqual([new PyFloat(1), "x-1.0"]);
  });

  it("replaces a block reference value by the block's data", async () => {
    const out = await render(template({ ...std, creds: "{{ creds }}" }), {
      creds: { $ref: { block_document_id: "b1" } },
    });
    expect(out.creds).toEqual({ a: 1, b: "hello" });
  });

  it("merges env from literals, variable defaults and job variables; empty strings override", async () => {
    const t = template(
      { ...std, env: { LIT: "1", SHARED: "lit", OVER: "lit", A: "x" } },
      { env: { default: { SHARED: "def", DEF: new PyFloat(1) } } },
    );
    const out = await render(t, { env: { OVER: "dep", NUM: 42, NUL: null, A: "" } });
    expect(out.env).toEqual({
      LIT: "1",
      SHARED: "def",
      OVER: "dep",
      A: "",
      DEF: "1.0",
      NUM: "42",
      NUL: null,
    });
  });

  it("lets an env default replace the {{ env }} string and skips null defaults", async () => {
    const t = template(std, {
      env: { default: { D: "d" } },
      name: { default: null },
      command: { default: "" },
    });
    expect(await render(t, {})).toEqual({ command: null, env: { D: "d" }, labels: {}, name: null });
  });

  it("expands dotted keys; the nested form wins", async () => {
    const out = await render(template(std), { "env.FOO": "dot", "env.BAR": "b", env: { FOO: "nested" } });
    expect(out.env).toEqual({ FOO: "nested", BAR: "b" });
    expect(expandDottedKeys({ "cfg.a.b": 1, "cfg[x]": 2, cfg: { a: { c: 3 } } })).toEqual({
      cfg: { a: { b: 1, c: 3 } },
      "cfg[x]": 2,
    }); // no dot, no expansion
    expect(() => expandDottedKeys({ "a.b": 1, "a.b.c": 2 })).toThrow(
      new TemplateTypeError("TypeError", "Key path exists and contains a non-dict value: ['a', 'b', 'c']"),
    );
  });

  it("reads {{ $NAME }} from the injected env, and resolves blocks and variables last", async () => {
    const out = await render(
      template({ ...std, env: { H: "{{ $HOME_X }}", M: "{{ $NOPE }}" }, v: "{{ v }}" }),
      { v: "{{ prefect.variables.v }}" },
      {
        HOME_X: "/h",
      },
    );
    expect(out.env).toEqual({ H: "/h", M: "" });
    expect(out.v).toBe("var");
  });

  it("validates the base fields like pydantic", async () => {
    await expect(render(template(std), { labels: { a: 1 } })).rejects.toThrow(JobConfigurationError);
    await expect(render(template(std), { command: 5 })).rejects.toThrow(JobConfigurationError);
    await expect(render(template(std), { env: "nope" })).rejects.toThrow(
      "'str' object has no attribute 'items'",
    );
    await expect(render(template({ ...std, env: { A: "1" } }), { env: ["x"] })).rejects.toThrow(
      "unsupported operand type(s) for |: 'dict' and 'list'",
    );
    await expect(
      fromTemplateAndValues({ job_configuration: std }, {}, { api: fakeTemplateApi() }),
    ).rejects.toThrow("'variables'");
    expect((await render(template(std), { command: "" })).command).toBeNull();
  });

  it("does not mutate the pool template or the values", async () => {
    const t = template({ ...std, env: { A: "1" } }, { env: { default: { B: "2" } } });
    const values = { "env.C": "3", env: { D: "4" } };
    const before = structuredClone({ t, values });
    await render(t, values);
    expect({ t, values }).toEqual(before);
  });

  it("takes only non-null top-level defaults", () => {
    expect(
      variableDefaults({
        properties: {
          a: { default: 1 },
          b: { default: null },
          c: {},
          d: { properties: { e: { default: 2 } } },
        },
      }),
    ).toEqual({ a: 1 });
  });
});
