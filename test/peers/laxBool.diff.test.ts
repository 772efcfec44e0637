/**
 * pushpool's lax boolean (core/shared/fields.ts, used by every backend's configuration reader) is
 * pydantic's: each JSON value below goes through pydantic's own `TypeAdapter(bool).validate_json`
 * in the pinned .venv, in one Python process, and through `laxBool` after pushpool's JSON parse.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { laxBool } from "../../core/shared/fields.ts";
import { parseJson } from "../../core/template/pyFloat.ts";
import { VENV_BIN } from "./prefectServer.ts";

const WORDS = ["true", "false", "TRUE", "False", "yes", "No", "on", "OFF", "t", "F", "y", "n", "1", "0"];
const CASES: string[] = [
  "true",
  "false",
  "null",
  "0",
  "1",
  "2",
  "-1",
  "0.0",
  "1.0",
  "1.5",
  "1e0",
  "[]",
  "{}",
  ...WORDS.map((w) => JSON.stringify(w)),
  ...WORDS.map((w) => JSON.stringify(` ${w}`)),
  ...WORDS.map((w) => JSON.stringify(`${w} `)),
  JSON.stringify(""),
  JSON.stringify("2"),
  JSON.stringify("1.0"),
  JSON.stringify("truee"),
];

const PYTHON = `
import json, sys
from pydantic import TypeAdapter
ta = TypeAdapter(bool)
out = []
for text in json.load(sys.stdin):
    try:
        out.append(ta.validate_json(text))
    except Exception:
        out.append(None)
print(json.dumps(out))
`;

describe("laxBool is pydantic's lax bool", () => {
  it("agrees with pydantic on every case", () => {
    const proc = spawnSync(join(VENV_BIN, "python"), ["-c", PYTHON], {
      input: JSON.stringify(CASES),
      encoding: "utf8",
    });
    expect(proc.status, proc.stderr).toBe(0);
    const theirs = JSON.parse(proc.stdout) as (boolean | null)[];
    expect(theirs).toHaveLength(CASES.length);
    const ours = CASES.map((text) => laxBool(parseJson(text)) ?? null);
    const table = CASES.map((text, i) => ({ text, pydantic: theirs[i], pushpool: ours[i] }));
    expect(table.filter((row) => row.pydantic !== row.pushpool)).toEqual([]);
    // Both outcomes occur, so the comparison can tell a reader that accepts or refuses everything.
    expect(theirs.filter((v) => v === null).length).toBeGreaterThan(10);
    expect(theirs.filter((v) => v === true).length).toBeGreaterThan(5);
  });
});
