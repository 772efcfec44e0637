/**
 * @module
 * Name sanitising for ECS: RunTask tags slugified exactly like Prefect's ECS worker (python-slugify
 * with `allow_unicode=True`, `lowercase=False` and the tag character class), and task-definition
 * family names restricted to what RegisterTaskDefinition accepts.
 */

/** Characters Prefect's worker replaces in tag keys and values. */
const TAG_DISALLOWED = /[^a-zA-Z0-9_./=+:@-]/g;

/** The HTML entities python-slugify decodes that can plausibly appear in a label. */
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', nbsp: "\u00a0" };

function numericReference(whole: string, digits: string, base: number): string {
  const value = Number.parseInt(digits, base);
  if (!Number.isFinite(value) || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return whole;
  return String.fromCodePoint(value);
}

/**
 * python-slugify's `slugify(text, regex_pattern=r"[^a-zA-Z0-9_./=+:@-]", allow_unicode=True,
 * lowercase=False)`: entities decoded, quotes and disallowed characters become `-`, runs of `-`
 * collapse, leading/trailing `-` are stripped. `Hello, World` → `Hello-World`.
 * Only the common named entities (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&nbsp;`) are decoded.
 */
export function slugifyTag(text: string): string {
  let out = text
    .replace(/&([a-z]+);/g, (whole, name: string) => ENTITIES[name] ?? whole)
    .replace(/&#(\d+);/g, (whole, digits: string) => numericReference(whole, digits, 10))
    .replace(/&#[xX]([\da-fA-F]+);/g, (whole, digits: string) => numericReference(whole, digits, 16))
    .replace(/'+/g, "-")
    .normalize("NFKC")
    .normalize("NFKC");
  out = out.replace(/(?<=\d),(?=\d)/g, "");
  out = out.replace(TAG_DISALLOWED, "-");
  return out.replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
}

/** Longest task-definition family ECS accepts. */
export const MAX_FAMILY_LENGTH = 255;

/**
 * A family name ECS accepts: every run of characters outside `[A-Za-z0-9_-]` becomes `-`, case is
 * kept (a valid family is returned unchanged), truncated to `maxLength`.
 */
export function sanitizeFamily(name: string, maxLength = MAX_FAMILY_LENGTH): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, maxLength);
}
