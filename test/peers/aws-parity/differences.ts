/**
 * The intended differences between pushpool's ECS requests and those of Prefect's ECS worker, and
 * the normalisation that removes exactly those (after checking each side's value has the expected
 * shape). Everything else must be equal. docs/parity/ecs.md lists the same table.
 */
import { expect } from "vitest";
import { DEFAULT_IMAGE, SPEC_HASH_TAG } from "../../../core/backends/ecs/index.ts";
import { startedByFor } from "../../../core/backends/ecs/startedBy.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import type { ParityCase } from "./cases.ts";

export interface IntendedDifference {
  path: string;
  ours: string;
  prefect: string;
}

export const INTENDED: IntendedDifference[] = [
  {
    path: "RegisterTaskDefinition.family",
    ours: "pushpool_<pool>_<12 hex of the spec hash>",
    prefect: "prefect_<pool>_<deployment id>",
  },
  {
    path: "RegisterTaskDefinition.tags[pushpool.io/spec-hash]",
    ours: "SHA-256 of the spec",
    prefect: "absent",
  },
  { path: "RegisterTaskDefinition.containerDefinitions[].essential", ours: "true", prefect: "absent" },
  {
    path: "RegisterTaskDefinition.containerDefinitions[].secrets",
    ours: "sorted by name",
    prefect: "template order, then PREFECT_API_KEY, PREFECT_API_AUTH_STRING",
  },
  {
    path: "RegisterTaskDefinition.containerDefinitions[].environment",
    ours: "sorted by name",
    prefect: "template order",
  },
  {
    path: "RegisterTaskDefinition.containerDefinitions[].image",
    ours: DEFAULT_IMAGE,
    prefect: "prefecthq/prefect:<version>-python<x.y>",
  },
  { path: "RunTask.clientToken", ours: "the claim's token", prefect: "random (botocore)" },
  { path: "RunTask.startedBy", ours: "pushpool/<flow run id>", prefect: "absent" },
  { path: "RunTask.taskDefinition", ours: "our revision", prefect: "its revision" },
  {
    path: "RunTask.networkConfiguration.awsvpcConfiguration.subnets",
    ours: "sorted",
    prefect: "DescribeSubnets order",
  },
  { path: "RunTask.tags[pushpool.io/claim-token]", ours: "the claim's token", prefect: "absent" },
  {
    path: "RunTask.tags[prefect.io/degregister-task-definition]",
    ours: "absent",
    prefect: "true",
  },
  { path: "DescribeTasks.group", ours: "family:<our family>", prefect: "family:<its family>" },
];

export type Side = "ours" | "prefect";
type Obj = Record<string, unknown>;

const DEREGISTER_TAG = "prefect.io/degregister-task-definition";
/** core/backends/ecs/claimTask.ts CLAIM_TOKEN_TAG: the claim's token, found again on redelivery. */
const CLAIM_TOKEN_TAG = "pushpool.io/claim-token";

function byName(list: unknown, key: string): unknown {
  if (!Array.isArray(list)) return list;
  const text = (item: unknown) => String((item as Obj)[key]);
  return [...list].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

export interface NormalizeContext {
  c: ParityCase;
  side: Side;
  /** The worker's default image (`get_prefect_image_name()`). */
  prefectDefaultImage: string;
  deploymentId: string;
  poolName: string;
  flowRunId: string;
  /** The orchestration container (named in our startedBy when it is not `prefect`). */
  containerName: string;
}

/** A RegisterTaskDefinition request (or a described task definition) without the intended differences. */
export function normalizeTaskDefinition(input: JsonObject, x: NormalizeContext): Obj {
  const td = structuredClone(input) as Obj;
  if (!x.c.explicitFamily) {
    const family = String(td.family);
    if (x.side === "ours") expect(family).toMatch(/^pushpool_[A-Za-z0-9_-]+_[0-9a-f]{12}$/);
    else expect(family).toBe(`prefect_${x.poolName}_${x.deploymentId}`);
    delete td.family;
  }
  if (Array.isArray(td.tags)) {
    const hashTags = td.tags.filter((t) => (t as Obj).key === SPEC_HASH_TAG);
    expect(hashTags.length, "spec-hash tag").toBe(x.side === "ours" ? 1 : 0);
    td.tags = td.tags.filter((t) => (t as Obj).key !== SPEC_HASH_TAG);
    if ((td.tags as unknown[]).length === 0) delete td.tags;
  } else expect(x.side, "only Prefect's worker registers without tags").toBe("prefect");
  for (const raw of (td.containerDefinitions as Obj[] | undefined) ?? []) {
    if (x.side === "ours") expect(raw, "essential written out").toHaveProperty("essential");
    else if (!("essential" in raw)) raw.essential = true;
    for (const key of ["environment", "secrets"])
      if (key in raw) {
        const sorted = byName(raw[key], "name");
        if (x.side === "ours") expect(raw[key], `${key} sorted by name`).toEqual(sorted);
        raw[key] = sorted;
      }
    if (x.c.defaultImage && raw.name === "prefect") {
      expect(raw.image).toBe(x.side === "ours" ? DEFAULT_IMAGE : x.prefectDefaultImage);
      raw.image = "<default image>";
    }
  }
  return td;
}

/** RunTask / DescribeTasks tags without pushpool's claim-token tag and Prefect's deregister tag. */
function normalizeTags(tags: unknown, x: NormalizeContext, token: unknown): unknown {
  if (!Array.isArray(tags)) return tags;
  const keyed = (key: string) => tags.filter((t) => (t as Obj).key === key);
  expect(keyed(DEREGISTER_TAG), "deregister tag").toEqual(
    x.side === "prefect" && x.c.deregister ? [{ key: DEREGISTER_TAG, value: "true" }] : [],
  );
  const claim = keyed(CLAIM_TOKEN_TAG);
  if (x.side === "prefect") expect(claim, "claim-token tag").toEqual([]);
  else
    for (const tag of claim) expect(tag, "claim-token tag").toEqual({ key: CLAIM_TOKEN_TAG, value: token });
  return tags.filter((t) => ![DEREGISTER_TAG, CLAIM_TOKEN_TAG].includes(String((t as Obj).key)));
}

/** A RunTask request without the intended differences (taskDefinition checked by the caller). */
export function normalizeRunTask(input: JsonObject, x: NormalizeContext): Obj {
  const req = structuredClone(input) as Obj;
  const token = req.clientToken;
  expect(typeof token === "string" && token.length > 0, "clientToken").toBe(true);
  delete req.clientToken;
  if (x.side === "ours") expect(req.startedBy).toBe(startedByFor(x.flowRunId, x.containerName));
  else expect(req).not.toHaveProperty("startedBy");
  delete req.startedBy;
  delete req.taskDefinition;
  const awsvpc = (req.networkConfiguration as Obj | undefined)?.awsvpcConfiguration as Obj | undefined;
  if (awsvpc && Array.isArray(awsvpc.subnets) && !x.c.customNetwork)
    awsvpc.subnets = [...awsvpc.subnets].sort();
  if ("tags" in req) req.tags = normalizeTags(req.tags, x, token);
  return req;
}

/**
 * What moto kept of a started task (see `describeTask` in the test) without the intended
 * differences; `token` is the clientToken our RunTask carried.
 */
export function normalizeTask(task: Obj, x: NormalizeContext, token: unknown): Obj {
  const out = structuredClone(task);
  if (x.side === "ours") expect(out.startedBy).toBe(startedByFor(x.flowRunId, x.containerName));
  else expect(out.startedBy ?? "").toBe("");
  delete out.startedBy;
  expect(String(out.group)).toMatch(/^family:/);
  if (!x.c.explicitFamily && !x.c.linked) delete out.group;
  out.tags = normalizeTags(out.tags, x, token);
  for (const container of (out.containers as Obj[] | undefined) ?? [])
    if (x.c.defaultImage && container.name === "prefect") {
      expect(container.image).toBe(x.side === "ours" ? DEFAULT_IMAGE : x.prefectDefaultImage);
      container.image = "<default image>";
    }
  return out;
}
