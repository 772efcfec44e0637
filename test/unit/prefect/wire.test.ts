import { describe, expect, it } from "vitest";
import { errorDetail } from "../../../core/prefect/errorDetail.ts";
import { cloneJson, stringifyJson } from "../../../core/prefect/json.ts";
import { isPyFloat, PyFloat, parseJson } from "../../../core/template/pyFloat.ts";

describe("stringifyJson", () => {
  it("writes PyFloats the way Python's json does, so they read back as floats", () => {
    const value = { a: new PyFloat(1), b: new PyFloat(-0), c: new PyFloat(2.5), d: new PyFloat(1e21), e: 3 };
    const text = stringifyJson(value);
    expect(text).toBe('{"a":1.0,"b":-0.0,"c":2.5,"d":1e+21,"e":3}');
    const back = parseJson(text) as Record<string, unknown>;
    expect(isPyFloat(back.a) && isPyFloat(back.d)).toBe(true);
    expect(isPyFloat(back.e)).toBe(false);
  });

  it("drops undefined properties and writes non-finite floats as null", () => {
    expect(stringifyJson({ a: undefined, b: [new PyFloat(Number.NaN)] })).toBe('{"b":[null]}');
  });

  it("round-trips through parseJson unchanged", () => {
    const text = '{"x":[1,1.0,{"y":0.1,"z":"1.0"}],"n":null,"t":true}';
    expect(stringifyJson(parseJson(text))).toBe(text);
  });
});

describe("cloneJson", () => {
  it("copies objects and arrays deeply and keeps PyFloat instances", () => {
    const original = parseJson('{"a":{"b":[1.0,2]}}') as { a: { b: unknown[] } };
    const copy = cloneJson(original as never) as typeof original;
    expect(copy).not.toBe(original);
    expect(copy.a.b).not.toBe(original.a.b);
    expect(isPyFloat(copy.a.b[0])).toBe(true);
    copy.a.b.push(3);
    expect(original.a.b).toHaveLength(2);
  });
});

describe("errorDetail", () => {
  it("falls back to the status text, then to the raw text", () => {
    expect(errorDetail("", "Bad Gateway")).toBe("Bad Gateway");
    expect(errorDetail("<html>oops</html>")).toBe("<html>oops</html>");
    expect(errorDetail('"just a string"')).toBe("just a string");
    expect(errorDetail(`{"detail":"${"x".repeat(2000)}"}`)).toHaveLength(1001);
  });
});
