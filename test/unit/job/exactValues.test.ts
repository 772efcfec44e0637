/**
 * Job-variable merges and the rendered job configuration keep big ints and the key order of
 * dicts with integer-like keys, and env values print them as Python's str() does.
 */
import { describe, expect, it } from "vitest";
import { fromTemplateAndValues } from "../../../core/job/fromTemplate.ts";
import { mergeJobVariables } from "../../../core/job/jobVariables.ts";
import type { BaseJobTemplate, JsonObject } from "../../../core/prefect/types.ts";
import { pyKeys } from "../../../core/template/pyDict.ts";
import { parseJson } from "../../../core/template/pyFloat.ts";
import { fakeTemplateApi } from "../template/fakes.ts";

const read = (text: string) => parseJson(text) as JsonObject;

describe("job variables and job configurations, exactly", () => {
  it("mergeJobVariables layers env in Python's order", () => {
    const merged = mergeJobVariables(
      read('{"env": {"9": "a", "B": "b"}, "cpu": 1}'),
      read('{"env": {"10": "c", "9": "d"}, "big": 9007199254740993}'),
    );
    expect(pyKeys(merged.env as JsonObject)).toEqual(["9", "B", "10"]);
    expect(String(merged.big)).toBe("9007199254740993");
  });

  it("env values and names print big ints and ordered dicts as str() does", async () => {
    const base = read(
      '{"job_configuration": {"env": "{{ env }}", "name": "n-{{ big }}", "ports": "{{ ports }}"},' +
        ' "variables": {"properties": {"ports": {"default": {"8080": "web", "443": "tls"}}}}}',
    ) as BaseJobTemplate;
    const values = read(
      '{"env": {"8080": 9223372036854775808, "443": {"2": 1, "1": 2}}, "big": -9007199254740993}',
    );
    const config = await fromTemplateAndValues(base, values, { api: fakeTemplateApi() });
    expect(config.name).toBe("n--9007199254740993");
    expect(pyKeys(config.env)).toEqual(["8080", "443"]);
    expect(config.env).toEqual({ "8080": "9223372036854775808", "443": "{'2': 1, '1': 2}" });
    expect(pyKeys(config.ports as JsonObject)).toEqual(["8080", "443"]);
  });
});
