/**
 * @module
 * Prefect's `BaseJobConfiguration.from_template_and_values`: render a work pool's base job template
 * with a flow run's job variables. In order:
 *
 * 1. copy the template's `job_configuration`;
 * 2. take every top-level variable `default` that is not null;
 * 3. layer a default `env` onto a dict `env` (or let it replace the `"{{ env }}"` string);
 * 4. expand dotted keys (`"env.FOO"`) into nested dicts, then deep-merge the plain keys on top;
 * 5. let the values override the defaults (shallow);
 * 6. layer the job-variable `env` onto a dict `env`;
 * 7. `applyValues`, then block references, then variables;
 * 8. validate the base fields (`command`, `env`, `labels`, `name`) like Prefect's pydantic model.
 *
 * Job variables are not validated against the pool's `variables` schema and only top-level
 * defaults are used: Prefect's worker does the same (the server validates at creation time).
 */
import type { BaseJobTemplate, Json, JsonObject } from "../prefect/types.ts";
import { applyValues } from "../template/applyValues.ts";
import { type BlockReader, resolveBlockDocumentReferences } from "../template/blocks.ts";
import { JobConfigurationError, TemplateTypeError } from "../template/errors.ts";
import { copyDict, pyEntries } from "../template/pyDict.ts";
import { pyRepr, pyStr } from "../template/pyStr.ts";
import { deepCopy, isJsonObject, pyTruthy, pyTypeName, setOwn } from "../template/pyValue.ts";
import { resolveVariables, type VariableReader } from "../template/variables.ts";
import type { TemplatedJobConfiguration } from "./types.ts";

export interface FromTemplateOptions {
  /** Reads block documents and variables referenced by the template. */
  api: BlockReader & VariableReader;
  /** The environment `{{ $NAME }}` placeholders read (the dispatcher's, as a worker reads its own). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Renders `baseJobTemplate` with `values` (the merged job variables). Inputs are not modified. */
export async function fromTemplateAndValues(
  baseJobTemplate: BaseJobTemplate,
  values: JsonObject,
  options: FromTemplateOptions,
): Promise<TemplatedJobConfiguration> {
  if (!Object.hasOwn(baseJobTemplate, "job_configuration") || !baseJobTemplate.job_configuration) {
    throw new TemplateTypeError("KeyError", "'job_configuration'");
  }
  if (!Object.hasOwn(baseJobTemplate, "variables") || !baseJobTemplate.variables) {
    throw new TemplateTypeError("KeyError", "'variables'");
  }
  const baseConfig: JsonObject = deepCopy(baseJobTemplate.job_configuration);
  const variables = variableDefaults(baseJobTemplate.variables);

  const defaultEnv = variables.env;
  if (defaultEnv !== undefined && pyTruthy(defaultEnv)) {
    baseConfig.env = isJsonObject(baseConfig.env)
      ? dictUnion(baseConfig.env, defaultEnv)
      : deepCopy(defaultEnv);
  }

  for (const [key, value] of pyEntries(expandDottedKeys(values))) setOwn(variables, key, value);

  const jobEnv = variables.env;
  if (isJsonObject(baseConfig.env) && jobEnv !== undefined && pyTruthy(jobEnv)) {
    baseConfig.env = dictUnion(baseConfig.env, jobEnv);
  }

  const applied = applyValues(baseConfig, variables, { env: options.env }) as Json;
  const withBlocks = await resolveBlockDocumentReferences(applied, options.api);
  const resolved = await resolveVariables(withBlocks, options.api);
  return validateBaseFields(resolved as JsonObject);
}

/** Prefect's `_get_base_config_defaults`: every property default that is not null. */
export function variableDefaults(variablesSchema: JsonObject): JsonObject {
  const defaults: JsonObject = {};
  const properties = Object.hasOwn(variablesSchema, "properties") ? variablesSchema.properties : undefined;
  if (!isJsonObject(properties)) return defaults;
  for (const [name, attrs] of pyEntries(properties)) {
    if (isJsonObject(attrs) && Object.hasOwn(attrs, "default") && attrs.default !== null) {
      setOwn(defaults, name, deepCopy(attrs.default as Json));
    }
  }
  return defaults;
}

/** Python's `left | right` for dicts (right wins); a non-dict right side is Python's TypeError. */
function dictUnion(left: JsonObject, right: Json): JsonObject {
  if (!isJsonObject(right)) {
    throw new TemplateTypeError(
      "TypeError",
      `unsupported operand type(s) for |: 'dict' and '${pyTypeName(right)}'`,
    );
  }
  const out: JsonObject = copyDict(left);
  for (const [key, value] of pyEntries(right)) setOwn(out, key, deepCopy(value));
  return out;
}

/**
 * Dotted keys (`"env.FOO": "x"`) become nested dicts first; plain keys are applied afterwards,
 * deep-merged where both sides are dicts (the plain, nested form wins), otherwise overwriting.
 */
export function expandDottedKeys(values: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of pyEntries(values)) if (key.includes(".")) setInDict(out, key, deepCopy(value));
  for (const [key, value] of pyEntries(values)) {
    if (key.includes(".")) continue;
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(
      out,
      key,
      isJsonObject(existing) && isJsonObject(value) ? deepMerge(existing, value) : deepCopy(value),
    );
  }
  return out;
}

function setInDict(root: JsonObject, path: string, value: Json): void {
  const keys = path.replaceAll("[", ".").replaceAll("]", "").split(".");
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const existing = Object.hasOwn(node, key) ? node[key] : undefined;
    if (existing === undefined) {
      const child: JsonObject = {};
      setOwn(node, key, child);
      node = child;
    } else if (isJsonObject(existing)) {
      node = existing;
    } else {
      throw new TemplateTypeError(
        "TypeError",
        `Key path exists and contains a non-dict value: ${pyRepr(keys)}`,
      );
    }
  }
  setOwn(node, keys[keys.length - 1] ?? "", value);
}

function deepMerge(base: JsonObject, merge: JsonObject): JsonObject {
  const out: JsonObject = copyDict(base);
  for (const [key, value] of pyEntries(merge)) {
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(
      out,
      key,
      isJsonObject(existing) && isJsonObject(value) ? deepMerge(existing, value) : deepCopy(value),
    );
  }
  return out;
}

/** The base fields as pydantic validates them; other keys (type-specific) pass through. */
function validateBaseFields(config: JsonObject): TemplatedJobConfiguration {
  const command = optionalString(config, "command");
  const name = optionalString(config, "name");
  const env: Record<string, string | null> = {};
  if (Object.hasOwn(config, "env")) {
    const raw = config.env as Json;
    if (!isJsonObject(raw)) {
      throw new TemplateTypeError("AttributeError", `'${pyTypeName(raw)}' object has no attribute 'items'`);
    }
    for (const [key, value] of pyEntries(raw)) setOwn(env, key, value === null ? null : pyStr(value));
  }
  const labels: Record<string, string> = {};
  if (Object.hasOwn(config, "labels")) {
    const raw = config.labels as Json;
    if (!isJsonObject(raw)) throw new JobConfigurationError("labels: Input should be a valid dictionary");
    for (const [key, value] of pyEntries(raw)) {
      if (typeof value !== "string")
        throw new JobConfigurationError(`labels.${key}: Input should be a valid string`);
      setOwn(labels, key, value);
    }
  }
  // pydantic's order: the declared fields, then the type-specific keys in template order.
  const out: TemplatedJobConfiguration = { command: command || null, env, labels, name };
  for (const [key, value] of pyEntries(config)) if (!Object.hasOwn(out, key)) setOwn(out, key, value);
  return out;
}

function optionalString(config: JsonObject, key: string): string | null {
  const value = Object.hasOwn(config, key) ? (config[key] as Json) : null;
  if (value !== null && typeof value !== "string") {
    throw new JobConfigurationError(`${key}: Input should be a valid string`);
  }
  return value;
}
