/**
 * @module
 * Names as Prefect's ACI worker makes them, and the pid it records:
 * - container group `<slug(flow name, ≤ 55 − 36 = 19)>-<flow_run_id>` (python-slugify with the
 *   pattern `[^a-zA-Z0-9-]+`, lowercased), deployment `prefect-<group>` (≤ 64 characters);
 * - pid `<flow_run_id>:<group>`.
 *
 * A later claim of the same run whose Prefect-named group still belongs to an older claim gets its
 * own group, `<slug ≤ 8>-<10 hex digits of its token>-<flow_run_id>` (the same length limit), so it
 * never re-deploys over (or adopts) what the older claim left: see ./claim.ts.
 */

/** Longest group name Prefect makes: 64 (deployment name) − `prefect-`. */
const MAX_GROUP = 56;

/**
 * python-slugify's `slugify(text, max_length=n, regex_pattern=r"[^a-zA-Z0-9-]+")` for the names
 * flows have: accents dropped (NFKD), lowercased, quotes and disallowed runs → `-`, runs of `-`
 * collapsed and stripped, then cut to `n` and stripped again. Non-Latin scripts, which
 * python-slugify transliterates (unidecode), are dropped here instead.
 */
export function slugifyName(text: string, maxLength: number): string {
  let out = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/'+/g, "-")
    .replace(/(?<=\d),(?=\d)/g, "")
    .replace(/[^a-zA-Z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (maxLength > 0 && out.length > maxLength) out = out.slice(0, maxLength).replace(/^-+|-+$/g, "");
  return out;
}

/** The group name Prefect's worker gives the run. */
export function prefectGroupName(flowName: string, flowRunId: string): string {
  return `${slugifyName(flowName, MAX_GROUP - 1 - flowRunId.length)}-${flowRunId}`;
}

/** The group of a later claim (`token`: `pp-` + hex), when the Prefect-named one is an older claim's. */
export function claimGroupName(flowName: string, flowRunId: string, token: string): string {
  const hex = token.replace(/^pp-/, "").slice(0, 10);
  const room = MAX_GROUP - flowRunId.length - hex.length - 2;
  const slug = slugifyName(flowName, Math.min(8, Math.max(0, room)));
  return slug ? `${slug}-${hex}-${flowRunId}` : `${hex}-${flowRunId}`;
}

/** Prefect's deployment name for a group. */
export function deploymentName(group: string): string {
  return `prefect-${group}`;
}

/** `<flow_run_id>:<group>`, as Prefect's worker records it. */
export function formatPid(flowRunId: string, group: string): string {
  return `${flowRunId}:${group}`;
}

/** The group of a pid, or null when it is not `<flow_run_id>:<group>` (Prefect: exactly two parts). */
export function parsePid(pid: string): { flowRunId: string; group: string } | null {
  const parts = pid.split(":");
  if (parts.length !== 2) return null;
  const [flowRunId, group] = parts as [string, string];
  if (!flowRunId || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(group)) return null;
  return { flowRunId, group };
}
