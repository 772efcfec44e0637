/**
 * @module
 * Prefect's labels as Azure resource tags (Prefect's ACI worker drops them; pushpool puts them on
 * the container group — a declared difference). Azure's rules: at most 50 tags, a name ≤ 512
 * characters without `< > % & \ ? /`, a value ≤ 256 characters. Forbidden characters become `_`
 * (`prefect.io/flow-run-id` → `prefect.io_flow-run-id`), names and values are cut, and the claim
 * tag always fits.
 */

/** The tag carrying the claim's submit token (on the group and on the deployment). */
export const CLAIM_TAG = "pushpool-claim-token";

const MAX_TAGS = 50;
const MAX_NAME = 512;
const MAX_VALUE = 256;
const FORBIDDEN = /[<>%&\\?/]/g;

/** An Azure-valid tag name for a label key. */
export function tagName(key: string): string {
  return key.replace(FORBIDDEN, "_").slice(0, MAX_NAME);
}

/**
 * `base` (the template's own tags, kept as written) + the labels as tags (a template tag of the same
 * name wins) + the claim tag, within Azure's 50.
 */
export function groupTags(
  base: Record<string, unknown>,
  labels: Record<string, string>,
  token: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) if (key !== CLAIM_TAG) out[key] = value;
  for (const [key, value] of Object.entries(labels)) {
    if (Object.keys(out).length >= MAX_TAGS - 1) break;
    const name = tagName(key);
    if (!name || Object.hasOwn(out, name) || name === CLAIM_TAG) continue;
    out[name] = value.slice(0, MAX_VALUE);
  }
  out[CLAIM_TAG] = token;
  return out;
}
