import { describe, expect, it } from "vitest";
import { PyFloat } from "../../../core/template/pyFloat.ts";
import { pyFloatRepr, pyRepr, pyStr, pyStrRepr } from "../../../core/template/pyStr.ts";

describe("pyFloatRepr", () => {
  it.each([
    [1, "1.0"],
    [0.1, "0.1"],
    [1.5, "1.5"],
    [-2.75, "-2.75"],
    [1e16, "1e+16"],
    [1.5e16, "1.5e+16"],
    [9999999999999998, "9999999999999998.0"],
    [1e15, "1000000000000000.0"],
    [1e-4, "0.0001"],
    [1e-5, "1e-05"],
    [2.5e-7, "2.5e-07"],
    [1e22, "1e+22"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "5e-324"],
    [123.456, "123.456"],
    [0, "0.0"],
    [-0, "-0.0"],
    [Number.POSITIVE_INFINITY, "inf"],
    [Number.NEGATIVE_INFINITY, "-inf"],
    [Number.NaN, "nan"],
  ])("%s → %s", (value, expected) => {
    expect(pyFloatRepr(value)).toBe(expected);
  });
});

describe("pyStrRepr", () => {
  it.each([
    ["abc", "'abc'"],
    ["it's", `"it's"`],
    [`it's "q"`, `'it\\'s "q"'`],
    ['"q"', `'"q"'`],
    ["a\\b", "'a\\\\b'"],
    ["l1\nl2\r\t", "'l1\\nl2\\r\\t'"],
    ["\x00\x1f\x7f", "'\\x00\\x1f\\x7f'"],
    ["\x85\xa0", "'\\x85\\xa0'"],
    ["é名前😀", "'é名前😀'"],
    ["\u200b\u2028", "'\\u200b\\u2028'"],
    ["\u{e0001}", "'\\U000e0001'"],
    ["\ue000", "'\\ue000'"],
    [" ", "' '"],
  ])("%j → %s", (text, expected) => {
    expect(pyStrRepr(text)).toBe(expected);
  });
});

describe("pyStr / pyRepr", () => {
  it("renders scalars like Python str()", () => {
    expect(pyStr(null)).toBe("None");
    expect(pyStr(true)).toBe("True");
    expect(pyStr(false)).toBe("False");
    expect(pyStr(42)).toBe("42");
    expect(pyStr(-0)).toBe("0");
    expect(pyStr(new PyFloat(1))).toBe("1.0");
    expect(pyStr(0.5)).toBe("0.5");
    expect(pyStr("it's")).toBe("it's");
    expect(pyStr(1e21)).toBe("1000000000000000000000");
  });

  it("renders containers with repr'd items", () => {
    expect(pyStr([1, "a"])).toBe("[1, 'a']");
    expect(pyStr({ k: "v" })).toBe("{'k': 'v'}");
    expect(pyStr({ a: [null, true, new PyFloat(2)], "it's": {} })).toBe(
      `{'a': [None, True, 2.0], "it's": {}}`,
    );
    expect(pyRepr([])).toBe("[]");
    expect(pyRepr("x")).toBe("'x'");
  });
});
