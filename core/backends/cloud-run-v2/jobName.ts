/**
 * @module
 * The Cloud Run job id (= the pid, as Prefect records it): Prefect's shape — the slug of the
 * configuration's `name` (python-slugify, pattern `[^a-zA-Z0-9-]+`, lowercase) then `-` and a
 * suffix — but the suffix comes from the claim's submit token instead of a random uuid4, so every
 * delivery of one claim names the same job and a redelivery finds it. The suffix is 16 hex digits
 * (64 bits of the token) where Prefect's is 7 random ones, because a collision here would adopt
 * another run's job; the slug is cut to fit 63. A slug that does not start with a letter gets a
 * `job-` prefix: Cloud Run refuses job ids that do not start with a letter.
 */
import { TOKEN_PATTERN } from "../token.ts";

export const MAX_JOB_ID = 63;
export const SUFFIX_LENGTH = 16;
/** Longest slug: 63 − `-` − suffix. */
export const MAX_SLUG = MAX_JOB_ID - 1 - SUFFIX_LENGTH;

/**
 * python-slugify's `slugify(name, max_length, regex_pattern=r"[^a-zA-Z0-9-]+")` for the usual
 * names: quotes → `-`, accents dropped (NFKD, then non-ASCII removed — where python-slugify
 * transliterates with text-unidecode), lowercase, `1,000` → `1000`, disallowed runs → `-`, runs of
 * `-` collapsed, `-` trimmed, cut to `maxLength` and trimmed again.
 */
export function slugifyName(name: string, maxLength: number): string {
  let text = name
    .replace(/'+/g, "-")
    .normalize("NFKD")
    .replace(/[^\p{ASCII}]/gu, "");
  text = text.toLowerCase().replace(/'+/g, "");
  text = text.replace(/(?<=\d),(?=\d)/g, "");
  text = text.replace(/[^a-zA-Z0-9-]+/g, "-");
  text = text.replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  return text.slice(0, maxLength).replace(/^-+|-+$/g, "");
}

/** The claim's job id: `<slug ≤ 46>-<16 hex of the token>`; `job-…` when the slug is empty or starts otherwise. */
export function jobIdFor(name: string | null, token: string): string {
  if (!TOKEN_PATTERN.test(token)) throw new Error(`not a submit token: ${token}`);
  const suffix = token.slice(3, 3 + SUFFIX_LENGTH);
  let slug = slugifyName(name ?? "", MAX_SLUG);
  if (!/^[a-z]/.test(slug)) slug = slugifyName(`job-${slug}`, MAX_SLUG);
  return `${slug}-${suffix}`;
}
