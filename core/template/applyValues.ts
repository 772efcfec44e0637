/**
 * @module
 * Prefect's `apply_values`: fill `{{ name }}` placeholders in a template from a dict of values.
 *
 * - A string that is exactly one standard placeholder becomes the looked-up value with its type
 *   (dict, list, number, bool, null), or {@link NotSet} when there is none.
 * - Otherwise each standard placeholder is replaced by Python `str()` of its value and each `$NAME`
 *   placeholder by the injected environment; a missing one becomes `""` (or stays, when
 *   `removeNotset` is false). Block and variable placeholders are left for later passes, and
 *   substituted text is never scanned again.
 * - Dicts and lists are rendered item by item (dicts keep their key order); a NotSet item is
 *   dropped when `removeNotset`, otherwise the original item is kept.
 */
import type { Json } from "../prefect/types.ts";
import { TemplateValueError } from "./errors.ts";
import { getFromDict } from "./lookup.ts";
import { isNotSet, NotSet, type NotSetType, type Template } from "./notSet.ts";
import { ENV_VAR_PREFIX, placeholderRegex, placeholdersOfString } from "./placeholders.ts";
import { pyEntries } from "./pyDict.ts";
import { pyStr } from "./pyStr.ts";
import { isPyNumber, setOwn } from "./pyValue.ts";

export { isNotSet, NotSet, type NotSetType, type Template };

export interface ApplyValuesOptions {
  /** Drop dict keys and list items whose value is missing; replace missing embedded values by "". Default true. */
  removeNotset?: boolean;
  /** Placeholders whose name starts with one of these are left as they are (e.g. `["ctx."]`). */
  skipPrefixes?: readonly string[];
  /** The environment `{{ $NAME }}` placeholders read. Core never reads `process.env`; default `{}`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Renders a template; the result is NotSet only when the template itself is a missing whole placeholder. */
export function applyValues(
  template: Template,
  values: Readonly<Record<string, Json>>,
  options: ApplyValuesOptions = {},
): Template {
  const removeNotset = options.removeNotset ?? true;
  const env = options.env ?? {};
  const skip = options.skipPrefixes ?? [];

  const renderString = (text: string): Template => {
    let placeholders = placeholdersOfString(text);
    if (placeholders.length === 0) return text;
    if (skip.length > 0) {
      placeholders = placeholders.filter((p) => !skip.some((prefix) => p.name.startsWith(prefix)));
      if (placeholders.length === 0) return text;
    }
    const [only] = placeholders;
    if (placeholders.length === 1 && only && only.fullMatch === text && only.type === "STANDARD") {
      return getFromDict(values, only.name);
    }
    const replacements = new Map<string, string>();
    for (const p of placeholders) {
      let value: Json | NotSetType;
      if (p.type === "STANDARD") value = getFromDict(values, p.name);
      else if (p.type === "ENV_VAR") value = readEnv(env, p.name);
      else continue;
      if (!isNotSet(value)) replacements.set(p.fullMatch, pyStr(value));
      else if (removeNotset) replacements.set(p.fullMatch, "");
    }
    return text.replace(placeholderRegex(), (match) => replacements.get(match) ?? match);
  };

  const render = (node: Template): Template => {
    if (node === null || isNotSet(node) || typeof node === "number" || typeof node === "boolean") return node;
    if (typeof node === "string") return renderString(node);
    if (isPyNumber(node)) return node;
    if (Array.isArray(node)) {
      const out: Template[] = [];
      for (const item of node) {
        const rendered = render(item);
        if (!isNotSet(rendered)) out.push(rendered);
        else if (!removeNotset) out.push(item);
      }
      return out;
    }
    if (typeof node === "object") {
      const out: { [key: string]: Template } = {};
      for (const [key, item] of pyEntries(node)) {
        const rendered = render(item);
        if (!isNotSet(rendered)) setOwn(out, key, rendered);
        else if (!removeNotset) setOwn(out, key, item);
      }
      return out;
    }
    throw new TemplateValueError(`Unexpected template type '${typeof node}'`);
  };

  return render(template);
}

function readEnv(env: Readonly<Record<string, string | undefined>>, name: string): Json | NotSetType {
  let key = name;
  while (key.startsWith(ENV_VAR_PREFIX)) key = key.slice(ENV_VAR_PREFIX.length);
  const value = Object.hasOwn(env, key) ? env[key] : undefined;
  return value === undefined ? NotSet : value;
}
