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

/**
 * Whether {@link mapTemplate} would find work in `node`: a string for which `onString` is true, or
 * a dict for which `onObject` is (checked before its values, as the walk replaces it whole). Most
 * job templates reference no block or variable; their resolvers then copy the template (the same
 * result as the walk) instead of walking it with a promise per node, which a warm dispatch's
 * profile showed as its largest piece of pushpool's own code.
 */
export function templateHas(
  node: Json,
  onString: (text: string) => boolean,
  onObject?: (object: JsonObject) => boolean,
): boolean {
  if (typeof node === "string") return onString(node);
  if (Array.isArray(node)) return node.some((item) => templateHas(item, onString, onObject));
  if (!isJsonObject(node)) return false;
  if (onObject?.(node)) return true;
  for (const [, item] of pyEntries(node)) if (templateHas(item, onString, onObject)) return true;
  return false;
}
