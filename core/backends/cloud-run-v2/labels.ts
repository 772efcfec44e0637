/**
 * @module
 * Prefect's labels as Google Cloud resource labels, as prefect-gcp writes them
 * (`sanitize_labels_for_gcp` / `merge_labels_for_gcp`): lowercase; every character outside
 * `[a-z0-9_-]` becomes `-`; leading non-letters stripped from keys; keys and values cut to 63;
 * a key empty after that is dropped (`prefect.io/flow-run-id` → `prefect-io-flow-run-id`). The
 * template's own labels win on a collision and are never dropped; the result is capped at 64 by
 * dropping the last Prefect labels first (deployment-updated, worker-name…).
 */

const MAX_LENGTH = 63;
export const MAX_LABELS = 64;

/** Python's `str.lower()` for label text (full Unicode lowering, as Python does it). */
function lower(text: string): string {
  return text.toLowerCase();
}

/** Labels a Google resource accepts, from Prefect's. */
export function sanitizeLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    const safeKey = [
      ...lower(key)
        .replace(/[^a-z0-9_-]/gu, "-")
        .replace(/^[^a-z]+/u, ""),
    ]
      .slice(0, MAX_LENGTH)
      .join("");
    if (!safeKey) continue;
    const safeValue = [...lower(String(value)).replace(/[^a-z0-9_-]/gu, "-")].slice(0, MAX_LENGTH).join("");
    out[safeKey] = safeValue;
  }
  return out;
}

/** Prefect's labels sanitised, under the template's (`existing` wins), capped at {@link MAX_LABELS}. */
export function mergeLabels(
  prefectLabels: Readonly<Record<string, string>>,
  existing: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const sanitized = sanitizeLabels(prefectLabels);
  const merged: Record<string, unknown> = { ...sanitized };
  for (const [key, value] of Object.entries(existing)) merged[key] = value;
  const size = Object.keys(merged).length;
  if (size > MAX_LABELS) {
    const prefectOnly = Object.keys(sanitized).filter((k) => !Object.hasOwn(existing, k));
    for (const key of prefectOnly.slice(prefectOnly.length - (size - MAX_LABELS))) delete merged[key];
  }
  return merged;
}
