/**
 * @module
 * Prefect's `resolve_block_document_references`, run after `applyValues`:
 *
 * - a dict with `{"$ref": {"block_document_id": id}}` becomes a deep copy of that block document's
 *   `data` (sibling keys are dropped);
 * - a string that is exactly `{{ prefect.blocks.<type-slug>.<name>[.<keypath>] }}` becomes the
 *   block's data (a lone `value` key is unwrapped) or the value at the keypath, type preserved;
 * - block placeholders embedded in text are replaced by Python `str()` of a scalar value.
 *
 * Reads are cached per id and per (slug, name) within one call.
 */

import type { PrefectApi } from "../prefect/api.ts";
import type { BlockDocument, Json, JsonObject } from "../prefect/types.ts";
import { BlockNotFoundError, TemplateTypeError, TemplateValueError } from "./errors.ts";
import { getFromDict } from "./lookup.ts";
import { isNotSet } from "./notSet.ts";
import { BLOCK_DOCUMENT_PREFIX, type Placeholder, placeholdersOfString } from "./placeholders.ts";
import { pyStr, pyStrRepr } from "./pyStr.ts";
import { deepCopy, isJsonObject, pyTruthy, pyTypeName } from "./pyValue.ts";
import { mapTemplate, templateHas } from "./walk.ts";

/** The part of the Prefect API block resolution needs. */
export type BlockReader = Pick<PrefectApi, "readBlockDocument" | "readBlockDocumentByName">;

const NO_LONGER_EXISTS =
  "This block was referenced in your deployment or work pool configuration but no longer exists. " +
  "It may have been deleted. Please check your configuration or create a new block.";

/** Python's `text.split(".", 2)`. */
function splitMax2(text: string): string[] {
  const first = text.indexOf(".");
  if (first < 0) return [text];
  const second = text.indexOf(".", first + 1);
  if (second < 0) return [text.slice(0, first), text.slice(first + 1)];
  return [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
}

/** Resolves every block reference in `template`. Throws {@link BlockNotFoundError} or {@link TemplateValueError}. */
export async function resolveBlockDocumentReferences(template: Json, api: BlockReader): Promise<Json> {
  const referencesBlocks = templateHas(
    template,
    (text) => placeholdersOfString(text).some((p) => p.type === "BLOCK_DOCUMENT"),
    (node) => Object.hasOwn(node, "$ref"),
  );
  if (!referencesBlocks) return deepCopy(template);
  const byId = new Map<string, BlockDocument>();
  const byName = new Map<string, BlockDocument>();

  const readById = async (id: string): Promise<BlockDocument> => {
    let doc = byId.get(id);
    if (!doc) {
      const read = await api.readBlockDocument(id);
      if (!read) throw new BlockNotFoundError(`Block not found: ID '${id}'. ${NO_LONGER_EXISTS}`);
      doc = read;
      byId.set(id, doc);
    }
    return doc;
  };

  const readByName = async (slug: string, name: string): Promise<BlockDocument> => {
    const key = JSON.stringify([slug, name]);
    let doc = byName.get(key);
    if (!doc) {
      const read = await api.readBlockDocumentByName(slug, name);
      if (!read)
        throw new BlockNotFoundError(`Block not found: '${name}' of type '${slug}'. ${NO_LONGER_EXISTS}`);
      doc = read;
      byName.set(key, doc);
    }
    return doc;
  };

  const resolvePlaceholder = async (placeholder: Placeholder, text: string): Promise<Json> => {
    const parts = splitMax2(placeholder.name.replaceAll(BLOCK_DOCUMENT_PREFIX, ""));
    const [slug, name, keypath] = parts;
    if (slug === undefined || name === undefined) {
      throw new TemplateValueError(
        `Invalid block placeholder format: '${placeholder.name}'. ` +
          "Expected format: prefect.blocks.<block-type-slug>.<block-document-name>",
      );
    }
    const data: JsonObject = (await readByName(slug, name)).data;
    let scope: Json = data;
    const keys = Object.keys(data);
    const pointsAtValue =
      keypath !== undefined &&
      (keypath === "value" || keypath.startsWith("value.") || keypath.startsWith("value["));
    if (keys.length === 1 && keys[0] === "value" && !pointsAtValue) scope = data.value as Json;
    let value: Json = scope;
    if (keypath !== undefined) {
      const found = getFromDict(scope, keypath);
      if (isNotSet(found)) {
        throw new TemplateValueError(
          `Invalid template: ${pyStrRepr(text)}. Could not resolve the keypath in the block document data.`,
        );
      }
      value = found;
    }
    return deepCopy(value);
  };

  const resolveString = async (text: string): Promise<Json> => {
    const placeholders = placeholdersOfString(text);
    if (!placeholders.some((p) => p.type === "BLOCK_DOCUMENT")) return text;
    const [only] = placeholders;
    if (placeholders.length === 1 && only && only.fullMatch === text) return resolvePlaceholder(only, text);
    let result = text;
    for (const p of placeholders) {
      if (p.type !== "BLOCK_DOCUMENT") continue;
      const value = await resolvePlaceholder(p, text);
      if (Array.isArray(value) || isJsonObject(value)) {
        throw new TemplateValueError(
          `Invalid template: ${pyStrRepr(text)}. Block placeholder ${pyStrRepr(p.fullMatch)} resolved to a ` +
            `${pyTypeName(value)}, which cannot be used for inline string substitution. ` +
            "Resolve a scalar attribute instead (e.g., '.value' or '.url').",
        );
      }
      const replacement = pyStr(value);
      result = result.replaceAll(p.fullMatch, () => replacement);
    }
    return result;
  };

  return mapTemplate(template, resolveString, async (node) => {
    const id = blockDocumentId(node);
    return id === undefined ? undefined : deepCopy((await readById(id)).data);
  });
}

/** The truthy `$ref.block_document_id` of a dict, as Python's `tmpl.get("$ref", {}).get("block_document_id")`. */
function blockDocumentId(node: JsonObject): string | undefined {
  if (!Object.hasOwn(node, "$ref")) return undefined;
  const ref = node.$ref as Json;
  if (!isJsonObject(ref)) {
    throw new TemplateTypeError("AttributeError", `'${pyTypeName(ref)}' object has no attribute 'get'`);
  }
  const id = Object.hasOwn(ref, "block_document_id") ? (ref.block_document_id as Json) : null;
  if (!pyTruthy(id)) return undefined;
  if (Array.isArray(id) || isJsonObject(id)) {
    throw new TemplateTypeError("TypeError", `unhashable type: '${pyTypeName(id)}'`);
  }
  return pyStr(id);
}
