/**
 * @module
 * Prefect's labels as the Vertex worker writes them on a CustomJob (`_get_compatible_labels`):
 * each key and value through python-slugify with `replacements=[("/", "_"), (".", "-")]`,
 * `lowercase`, `max_length=63` and the disallowed pattern `[^-a-zA-Z0-9_]+` — so
 * `prefect.io/flow-name` → `prefect-io_flow-name`. Unlike the Cloud Run worker there is no cap
 * and no rule on a key's first character. Plus the label pushpool adds: the claim's token.
 */

/** The label carrying the claim's submit token (what `find` filters custom jobs by). */
export const TOKEN_LABEL = "pushpool-token";

const MAX_LENGTH = 63;
const NAMED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** python-slugify (legacy pipeline, separator `-`) with the Vertex worker's arguments. */
export function slugifyLabel(text: string): string {
  let s = text.replaceAll("/", "_").replaceAll(".", "-");
  s = s.replace(/'+/g, "-");
  s = s.normalize("NFKD").replace(/[^\p{ASCII}]/gu, "");
  s = s.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => NAMED[name] ?? "");
  s = s.replace(/&#(\d+);/g, (m, d: string) => safeChar(Number(d)) ?? m);
  s = s.replace(/&#x([\da-fA-F]+);/g, (m, h: string) => safeChar(Number.parseInt(h, 16)) ?? m);
  s = s.normalize("NFKD").toLowerCase();
  s = s.replace(/'+/g, "");
  s = s.replace(/(?<=\d),(?=\d)/g, "");
  s = s.replace(/[^-a-zA-Z0-9_]+/g, "-");
  s = s.replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  s = s.replaceAll("/", "_").replaceAll(".", "-");
  if (s.length >= MAX_LENGTH) s = s.slice(0, MAX_LENGTH).replace(/^-+|-+$/g, "");
  return s;
}

function safeChar(code: number): string | null {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : null;
}

/** The CustomJob's labels: every Prefect label slugified (a later key that slugifies the same wins). */
export function vertexLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) out[slugifyLabel(key)] = slugifyLabel(String(value));
  return out;
}
