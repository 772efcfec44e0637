import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { indentJson } from "../../../core/prefect/json.ts";

describe("indentJson", () => {
  it("indents like JSON.stringify(v, null, 2) for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(indentJson(JSON.stringify(value))).toBe(JSON.stringify(value, null, 2));
      }),
      { numRuns: 500, seed: 20261206 },
    );
  });

  it("keeps literals and key order exactly as written", () => {
    const text = '{"id":9007199254740993,"ratio":1.0,"ports":{"8080":"w,e:b","443":"t\\"ls"},"e":[],"o":{}}';
    expect(indentJson(text)).toBe(
      '{\n  "id": 9007199254740993,\n  "ratio": 1.0,\n  "ports": {\n    "8080": "w,e:b",\n    "443": "t\\"ls"\n  },\n  "e": [],\n  "o": {}\n}',
    );
  });
});
