/**
 * @module
 * Prefect's `resolve_variables`, the last templating pass: `{{ prefect.variables.<name> }}`
 * placeholders become the variable's value. A whole-string placeholder keeps the value's JSON type;
 * an embedded one is replaced by Python `str()` of it. A missing variable gives `""` (the key is
 * kept). Reads are cached per name within one call.
 */

import type { PrefectApi } from "../prefect/api.ts";
import type { Json } from "../prefect/types.ts";
import { placeholdersOfString, VARIABLE_PREFIX } from "./placeholders.ts";
import { pyStr } from "./pyStr.ts";
import { deepCopy } from "./pyValue.ts";
import { mapTemplate, templateHas } from "./walk.ts";

/** The part of the Prefect API variable resolution needs. */
export type VariableReader = Pick<PrefectApi, "readVariable">;

/** Resolves every variable placeholder in `template`. */
export async function resolveVariables(template: Json, api: VariableReader): Promise<Json> {
  if (!templateHas(template, (text) => placeholdersOfString(text).some((p) => p.type === "VARIABLE")))
    return deepCopy(template);
  const cache = new Map<string, Json | undefined>();

  const read = async (placeholderName: string): Promise<Json | undefined> => {
    const name = placeholderName.replaceAll(VARIABLE_PREFIX, "");
    if (!cache.has(name)) cache.set(name, await api.readVariable(name));
    return cache.get(name);
  };

  const resolveString = async (text: string): Promise<Json> => {
    const placeholders = placeholdersOfString(text);
    if (!placeholders.some((p) => p.type === "VARIABLE")) return text;
    const [only] = placeholders;
    if (placeholders.length === 1 && only && only.fullMatch === text) {
      const value = await read(only.name);
      return value === undefined ? "" : value;
    }
    let result = text;
    for (const p of placeholders) {
      if (p.type !== "VARIABLE") continue;
      const value = await read(p.name);
      const replacement = value === undefined ? "" : pyStr(value);
      result = result.replaceAll(p.fullMatch, () => replacement);
    }
    return result;
  };

  return mapTemplate(template, resolveString);
}
