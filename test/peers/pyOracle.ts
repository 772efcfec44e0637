/**
 * Runs Prefect's own templating code (test/peers/py/prefect_oracle.py in the pinned .venv) on a batch
 * of cases in ONE Python process, and converts values to and from the oracle's tagged JSON, where
 * floats travel as `{"$pyfloat": repr}` so `1.0` and `1` stay apart, integers beyond 2^53 as
 * `{"$int": digits}` so they stay exact, and dicts with an integer-like key as
 * `{"$dict": [[key, value], ...]}` so their order survives `JSON.parse` (and is compared).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringifyJson } from "../../core/prefect/json.ts";
import type { BlockDocument, Json, JsonObject } from "../../core/prefect/types.ts";
import { isNotSet, NotSet, type Template } from "../../core/template/notSet.ts";
import { dictFromEntries, isIntLikeKey, pyKeys, setOwn } from "../../core/template/pyDict.ts";
import { isPyFloat, PyFloat, parseJson } from "../../core/template/pyFloat.ts";
import { isPyInt, pyIntOf } from "../../core/template/pyInt.ts";
import { pyFloatRepr } from "../../core/template/pyStr.ts";
import { REPO_ROOT, VENV_BIN } from "./prefectServer.ts";

export type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };

export interface OracleOutput {
  meta: { baseEnv: Record<string, string>; version: string; python: string };
  results: Array<{ ok: Tagged } | { error: { class: string; message: string } }>;
}

/** The environment the oracle runs with: its explicitly-set Prefect settings become the base env. */
export const ORACLE_SETTINGS = {
  PREFECT_API_URL: "http://prefect.pushpool.test/api",
  PREFECT_API_KEY: "pnu_pushpool_test_key",
};

/** Runs the cases; throws with Python's stderr when the oracle itself fails. */
export function runOracle(cases: unknown[]): OracleOutput {
  const home = mkdtempSync(join(tmpdir(), "pushpool-oracle-"));
  const proc = spawnSync(join(VENV_BIN, "python"), [join(REPO_ROOT, "test/peers/py/prefect_oracle.py")], {
    input: JSON.stringify({ cases }),
    env: {
      PATH: process.env.PATH,
      HOME: home,
      PREFECT_HOME: join(home, ".prefect"),
      LANG: "C.UTF-8",
      PYTHONHASHSEED: "0",
      ...ORACLE_SETTINGS,
    },
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
  });
  if (proc.status !== 0) throw new Error(`oracle failed (${proc.status}): ${proc.stderr}`);
  return JSON.parse(proc.stdout) as OracleOutput;
}

/**
 * Our value → tagged JSON (PyFloat and non-integral numbers as Python float reprs, unsafe integers
 * as `$int`, dicts in their Python key order, as `$dict` when a key is integer-like).
 */
export function encode(value: Template | undefined): Tagged {
  if (value === undefined) return { $undefined: true };
  if (isNotSet(value)) return { $notset: true };
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return { $pyfloat: pyFloatRepr(value) };
    return Number.isSafeInteger(value) ? value : { $int: BigInt(value).toString() };
  }
  if (isPyFloat(value)) return { $pyfloat: pyFloatRepr(value.value) };
  if (isPyInt(value)) return { $int: value.value.toString() };
  if (Array.isArray(value)) return value.map(encode);
  const keys = pyKeys(value);
  const item = (k: string) => encode(value[k] as Template);
  if (keys.some(isIntLikeKey)) return { $dict: keys.map((k) => [k, item(k)]) };
  const out: { [key: string]: Tagged } = {};
  for (const k of keys) setOwn(out, k, item(k));
  return out;
}

/**
 * Tagged JSON → our value (`$pyfloat` → PyFloat, `$int` → PyInt or a safe number, `$dict` → a dict
 * in that key order, `$notset` → NotSet).
 */
export function decode(value: Tagged): Template {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const tag = keys.length === 1 ? keys[0] : undefined;
    if (tag === "$pyfloat") return new PyFloat(parsePyFloat(String(value.$pyfloat)));
    if (tag === "$notset") return NotSet;
    if (tag === "$int") return pyIntOf(BigInt(String(value.$int)));
    if (tag === "$dict") {
      const entries = value.$dict as Array<[string, Tagged]>;
      return dictFromEntries(entries.map(([k, v]): [string, Template] => [k, decode(v)]));
    }
    const out: { [key: string]: Template } = {};
    for (const k of keys) setOwn(out, k, decode(value[k] as Tagged));
    return out;
  }
  return value;
}

/**
 * A value as pushpool gets it from Prefect: as JSON text, read back with parseJson. Values no
 * response can hold (NotSet, and `nan`/`inf`, which the server writes as null) are returned as
 * they are, so both sides get the same input.
 */
export function viaWire<T extends Template>(value: T): T {
  return wireSafe(value) ? (parseJson(stringifyJson(value)) as T) : value;
}

function wireSafe(value: Template): boolean {
  if (isNotSet(value)) return false;
  if (typeof value === "number") return Number.isFinite(value);
  if (isPyFloat(value)) return Number.isFinite(value.value);
  if (Array.isArray(value)) return value.every(wireSafe);
  if (value !== null && typeof value === "object" && !isPyInt(value))
    return Object.values(value).every(wireSafe);
  return true;
}

function parsePyFloat(repr: string): number {
  if (repr === "inf") return Number.POSITIVE_INFINITY;
  if (repr === "-inf") return Number.NEGATIVE_INFINITY;
  if (repr === "nan") return Number.NaN;
  return Number(repr);
}

/** The oracle's fake client, in TS: the same tagged fixtures, the same read counting. */
export function fakeApi(c: {
  blocksById?: Record<string, JsonObject>;
  blocksByName?: Array<[string, string, JsonObject]>;
  variables?: JsonObject;
}) {
  const counts = { reads: 0 };
  const doc = (data: JsonObject): BlockDocument => ({
    id: "x",
    name: "x",
    data: viaWire(decode(encode(data)) as JsonObject),
  });
  return {
    counts,
    api: {
      async readBlockDocument(id: string) {
        counts.reads += 1;
        const data = c.blocksById && Object.hasOwn(c.blocksById, id) ? c.blocksById[id] : undefined;
        return data ? doc(data) : null;
      },
      async readBlockDocumentByName(slug: string, name: string) {
        counts.reads += 1;
        const hit = c.blocksByName?.find(([s, n]) => s === slug && n === name);
        return hit ? doc(hit[2]) : null;
      },
      async readVariable(name: string) {
        counts.reads += 1;
        return c.variables && Object.hasOwn(c.variables, name)
          ? viaWire(decode(encode(c.variables[name])) as Json)
          : undefined;
      },
    },
  };
}
