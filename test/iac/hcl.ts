/**
 * Reads a Terraform directory as data for the infra tests: every `*.tf` file is parsed by
 * bc-python-hcl2 (installed in .venv-iac/ with checkov, infra/requirements.txt) and merged into
 * one model. Expressions stay as hcl2 prints them (`${var.x}`); attributes and blocks come as
 * one-element lists, which {@link one} unwraps. A missing .venv-iac/ is a failure naming the fix.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "../..");
export const IAC_BIN = join(ROOT, ".venv-iac", "bin");

export type Body = Record<string, unknown>;
export interface TerraformModel {
  /** `resources[type][name]`: the block's body. */
  resources: Record<string, Record<string, Body>>;
  data: Record<string, Record<string, Body>>;
  /** Every `locals` block merged: name → value (unwrapped). */
  locals: Record<string, unknown>;
  variables: Record<string, Body>;
  outputs: Record<string, Body>;
  terraform: Body[];
}

const SCRIPT = `
import glob, json, os, sys
import hcl2
model = {"resources": {}, "data": {}, "locals": {}, "variables": {}, "outputs": {}, "terraform": []}
one = lambda v: v[0] if isinstance(v, list) and len(v) == 1 else v
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.tf"))):
    with open(path) as f:
        doc = hcl2.load(f)
    for kind, key in (("resource", "resources"), ("data", "data")):
        for block in doc.get(kind, []):
            for rtype, named in block.items():
                for name, body in named.items():
                    model[key].setdefault(rtype, {})[name] = body
    for block in doc.get("locals", []):
        for name, value in block.items():
            if not name.startswith("__"):
                model["locals"][name] = one(value)
    for block in doc.get("variable", []):
        model["variables"].update(block)
    for block in doc.get("output", []):
        model["outputs"].update(block)
    model["terraform"] += doc.get("terraform", [])
json.dump(model, sys.stdout)
`;

export function requireIacVenv(): string {
  const python = join(IAC_BIN, "python");
  if (!existsSync(python)) {
    throw new Error(
      `${python} is missing: run \`npm run setup\` (functions/local/setup.mjs creates .venv-iac/ from infra/requirements.txt)`,
    );
  }
  return python;
}

export async function readTerraform(dir: string): Promise<TerraformModel> {
  const { stdout } = await run(requireIacVenv(), ["-c", SCRIPT, resolve(ROOT, dir)], {
    maxBuffer: 32 * 1024 * 1024,
  });
  return JSON.parse(stdout) as TerraformModel;
}

/** hcl2 wraps attribute values and blocks in one-element lists. */
export function one<T = unknown>(value: unknown): T {
  return (Array.isArray(value) && value.length === 1 ? value[0] : value) as T;
}

/** An attribute of a block body, unwrapped. */
export function attr<T = unknown>(body: Body | undefined, name: string): T {
  if (!body || !(name in body))
    throw new Error(`no attribute '${name}' in ${JSON.stringify(body)?.slice(0, 200)}`);
  return one<T>(body[name]);
}

/** A nested block of a body (the first one), e.g. `block(fn, "service_config")`. */
export function block(body: Body | undefined, name: string): Body {
  const value = attr<Body | Body[]>(body, name);
  const first = Array.isArray(value) ? value[0] : value;
  if (!first || typeof first !== "object") throw new Error(`'${name}' is not a block`);
  return first as Body;
}

export function resource(model: TerraformModel, type: string, name: string): Body {
  const body = model.resources[type]?.[name];
  if (!body) throw new Error(`no resource ${type}.${name}`);
  return body;
}

export function dataSource(model: TerraformModel, type: string, name: string): Body {
  const body = model.data[type]?.[name];
  if (!body) throw new Error(`no data source ${type}.${name}`);
  return body;
}

/** `${merge(local.a,local.b)}` or `${local.a}` → ["a", "b"]; anything else is refused. */
export function localRefs(expression: unknown): string[] {
  const text = String(expression);
  const merge = /^\$\{merge\(((?:local\.[a-z_]+,?)+)\)\}$/.exec(text);
  if (merge?.[1]) return merge[1].split(",").map((ref) => ref.replace(/^local\./, ""));
  const single = /^\$\{local\.([a-z_]+)\}$/.exec(text);
  if (single?.[1]) return [single[1]];
  throw new Error(`not a merge of locals: ${text}`);
}

/** The keys of the object locals an expression merges. */
export function mergedKeys(model: TerraformModel, expression: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const name of localRefs(expression)) {
    const value = model.locals[name];
    if (!value || typeof value !== "object" || Array.isArray(value))
      throw new Error(`local.${name} is not an object`);
    for (const [key, v] of Object.entries(value)) out.set(key, v);
  }
  return out;
}

/** The text of .tf files without `#` comment lines (checkov skips stay: they are data, not prose). */
export function withoutComments(text: string): string {
  return text
    .split("\n")
    .filter((line) => !/^\s*#(?!checkov:skip=)/.test(line))
    .join("\n");
}

/** Every .tf file of a directory, concatenated, without comment lines. */
export async function terraformText(dir: string): Promise<string> {
  const files = (await readdir(resolve(ROOT, dir))).filter((f) => f.endsWith(".tf")).sort();
  const texts = await Promise.all(files.map((f) => readFile(resolve(ROOT, dir, f), "utf8")));
  return withoutComments(texts.join("\n"));
}
