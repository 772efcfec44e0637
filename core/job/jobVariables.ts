/**
 * @module
 * Prefect's job-variable merge for one flow run (`resolve_for_flow_run`): the deployment's job
 * variables are the base, the flow run's `env` is layered key by key onto a dict `env`, and every
 * other flow-run key replaces the deployment's key whole (shallow).
 */
import type { Json, JsonObject } from "../prefect/types.ts";
import { TemplateTypeError } from "../template/errors.ts";
import { deepCopy, isJsonObject, pyTypeName, setOwn } from "../template/pyValue.ts";

/** The job variables a flow run renders with. Inputs are not modified. */
export function mergeJobVariables(
  deploymentVariables: JsonObject | null | undefined,
  flowRunVariables: JsonObject | null | undefined,
): JsonObject {
  const merged: JsonObject = deepCopy(deploymentVariables ?? {});
  const overrides: JsonObject = { ...(flowRunVariables ?? {}) };
  const baseEnv = merged.env;
  if (isJsonObject(baseEnv) && Object.hasOwn(overrides, "env")) {
    const runEnv = overrides.env as Json;
    delete overrides.env;
    if (!isJsonObject(runEnv)) {
      // dict.update() with a non-mapping: Python fails the same way (the message differs per type).
      throw new TemplateTypeError("TypeError", `'${pyTypeName(runEnv)}' object is not a valid env mapping`);
    }
    for (const [key, value] of Object.entries(runEnv)) setOwn(baseEnv, key, deepCopy(value));
  }
  for (const [key, value] of Object.entries(overrides)) setOwn(merged, key, deepCopy(value));
  return merged;
}
