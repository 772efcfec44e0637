import type { Json, JsonObject } from "../prefect/types.ts";
import { pyEntries } from "./pyDict.ts";
import { isJsonObject, setOwn } from "./pyValue.ts";

/**
 * Rebuilds a template depth-first, in order: strings go through `onString`; an object for which
 * `onObject` returns a value is replaced by it whole (a block `$ref`); other values are kept.
 * Dicts keep their key order. The shared walk of the block and variable resolvers.
 */
export async function mapTemplate(
  node: Json,
  onString: (text: string) => Promise<Json>,
  onObject?: (object: JsonObject) => Promise<Json | undefined>,
): Promise<Json> {
  if (typeof node === "string") return onString(node);
  if (Array.isArray(node)) {
    const out: Json[] = [];
    for (const item of node) out.push(await mapTemplate(item, onString, onObject));
    return out;
  }
  if (!isJsonObject(node)) return node;
  const replaced = onObject ? await onObject(node) : undefined;
  if (replaced !== undefined) return replaced;
  const out: JsonObject = {};
  for (const [key, item] of pyEntries(node)) setOwn(out, key, await mapTemplate(item, onString, onObject));
  return out;
}
