/**
 * @module
 * Prefect's job-variable merge for one flow run (`resolve_for_flow_run`): the deployment's job
 * variables are the base, the flow run's `env` is layered key by key onto a dict `env`, and every
 * other flow-run key replaces the deployment's key whole (shallow).
 */
import type { Json, JsonObject } from "../prefect/types.ts";
import { TemplateTypeError } from "../template/errors.ts";
import { pyEntries } from "../template/pyDict.ts";
import { deepCopy, isJsonObject, pyTypeName, setOwn } from "../template/pyValue.ts";

/** The job variables a flow run renders with. Inputs are not modified. */
export function mergeJobVariables(
  deploymentVariables: JsonObject | null | undefined,
  flowRunVariables: JsonObject | null | undefined,
): JsonObject {
  const merged: JsonObject = deepCopy(deploymentVariables ?? {});
  const overrides: JsonObject = flowRunVariables ?? {};
  const baseEnv = merged.env;
  const layerEnv = isJsonObject(baseEnv) && Object.hasOwn(overrides, "env");
  if (layerEnv) {
    const runEnv = overrides.env as Json;
    if (!isJsonObject(runEnv)) {
      // dict.update() with a non-mapping: Python fails the same way (the message differs per type).
      throw new TemplateTypeError("TypeError", `'${pyTypeName(runEnv)}' object is not a valid env mapping`);
    }
    for (const [key, value] of pyEntries(runEnv)) setOwn(baseEnv, key, deepCopy(value));
  }
  for (const [key, value] of pyEntries(overrides))
    if (!(layerEnv && key === "env")) setOwn(merged, key, deepCopy(value));
  return merged;
}
