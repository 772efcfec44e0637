/**
 * The declared differences between pushpool's ECS requests and those of Prefect's ECS worker:
 * the table is docs/parity/differences.md (read here), the normalisation that removes exactly those
 * differences is below, one normaliser per table path. Each normaliser checks first that each
 * side's value has the shape its row describes. Everything else must be equal.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { DEFAULT_IMAGE, SPEC_HASH_TAG } from "../../../core/backends/ecs/index.ts";
import { sanitizeFamily } from "../../../core/backends/ecs/slug.ts";
import { startedByFor } from "../../../core/backends/ecs/startedBy.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import type { ParityCase } from "./cases.ts";

export const TABLE_FILE = join(import.meta.dirname, "..", "..", "..", "docs", "parity", "differences.md");

export interface TableRow {
  path: string;
  pushpool: string;
  prefect: string;
  reason: string;
}

/**
 * The rows of the markdown table in docs/parity/differences.md (path cells in backticks): those
 * before the first `## ` heading (ECS), or those of the `## <section>` heading's table.
 */
export function readTable(file = TABLE_FILE, section?: string): TableRow[] {
  const rows: TableRow[] = [];
  let current: string | undefined;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("## ")) current = line.slice(3).trim();
    if (current !== section || !line.startsWith("|")) continue;
    const cells = line
      .slice(1, line.trimEnd().endsWith("|") ? line.trimEnd().length - 1 : undefined)
      .split("|")
      .map((cell) => cell.trim());
    const path = /^`([^`]+)`$/.exec(cells[0] ?? "")?.[1];
    if (!path) continue; // the header and its separator
    const [, pushpool = "", prefect = "", reason = ""] = cells;
    rows.push({ path, pushpool, prefect, reason });
  }
  return rows;
}

export type Side = "ours" | "prefect";
type Obj = Record<string, unknown>;

/** What is normalised: a request, a read-back, the pid's parts, or the calls made before a refusal. */
export type Target = "RegisterTaskDefinition" | "RunTask" | "DescribeTasks" | "pid" | "calls";

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
  /** The clientToken of this side's RunTask (pushpool's claim token is also a tag). */
  token?: unknown;
}

interface Normaliser {
  path: string;
  on: Target[];
  apply(value: Obj, x: NormalizeContext, target: Target): void;
}

const DEREGISTER_TAG = "prefect.io/degregister-task-definition";
/** core/backends/ecs/claimTask.ts CLAIM_TOKEN_TAG: the claim's token, found again on redelivery. */
const CLAIM_TOKEN_TAG = "pushpool.io/claim-token";

function byName(list: unknown, key: string): unknown {
  if (!Array.isArray(list)) return list;
  const text = (item: unknown) => String((item as Obj)[key]);
  return [...list].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

const containersOf = (td: Obj) => (td.containerDefinitions as Obj[] | undefined) ?? [];
const overridesOf = (req: Obj) =>
  ((req.overrides as Obj | undefined)?.containerOverrides as Obj[] | undefined) ?? [];

/** Removes the tags with `key` after checking them against `expected`. */
function dropTag(value: Obj, key: string, expected: Obj[]): void {
  if (!Array.isArray(value.tags)) {
    expect(expected, key).toEqual([]);
    return;
  }
  expect(
    value.tags.filter((t) => (t as Obj).key === key),
    key,
  ).toEqual(expected);
  value.tags = value.tags.filter((t) => (t as Obj).key !== key);
}

function sortedContainerList(key: "environment" | "secrets"): Normaliser["apply"] {
  return (td, x) => {
    for (const container of containersOf(td))
      if (key in container) {
        const sorted = byName(container[key], "name");
        if (x.side === "ours") expect(container[key], `${key} sorted by name`).toEqual(sorted);
        container[key] = sorted;
      }
  };
}

export const NORMALISERS: Normaliser[] = [
  {
    path: "RegisterTaskDefinition.family",
    on: ["RegisterTaskDefinition"],
    apply(td, x) {
      if (x.c.explicitFamily) return;
      const family = String(td.family);
      if (x.side === "ours") expect(family).toMatch(/^pushpool_[A-Za-z0-9_-]+_[0-9a-f]{12}$/);
      else expect(family).toBe(`prefect_${x.poolName}_${x.deploymentId}`);
      delete td.family;
    },
  },
  {
    path: "RegisterTaskDefinition.family (explicit)",
    on: ["RegisterTaskDefinition", "DescribeTasks"],
    apply(value, x, target) {
      const key = target === "DescribeTasks" ? "group" : "family";
      if (!(key in value)) return;
      const family = String(value[key]).replace(/^family:/, "");
      if (x.side === "ours") expect(family).toMatch(/^[A-Za-z0-9_-]+$/);
      if (!x.c.sanitizedFamily) return;
      if (x.side === "prefect") {
        expect(family, "a family ECS refuses").toMatch(/[^A-Za-z0-9_-]/);
        value[key] = `${key === "group" ? "family:" : ""}${sanitizeFamily(family)}`;
      }
    },
  },
  {
    path: "RegisterTaskDefinition.tags[pushpool.io/spec-hash]",
    on: ["RegisterTaskDefinition"],
    apply(td, x) {
      if (!Array.isArray(td.tags))
        return expect(x.side, "only Prefect registers without tags").toBe("prefect");
      const hashes = td.tags.filter((t) => (t as Obj).key === SPEC_HASH_TAG);
      expect(hashes.length, "spec-hash tag").toBe(x.side === "ours" ? 1 : 0);
      td.tags = td.tags.filter((t) => (t as Obj).key !== SPEC_HASH_TAG);
      if ((td.tags as unknown[]).length === 0) delete td.tags;
    },
  },
  {
    path: "RegisterTaskDefinition.containerDefinitions[].essential",
    on: ["RegisterTaskDefinition"],
    apply(td, x) {
      for (const container of containersOf(td))
        if (x.side === "ours") expect(container, "essential written out").toHaveProperty("essential");
        else if (!("essential" in container)) container.essential = true;
    },
  },
  {
    path: "RegisterTaskDefinition.containerDefinitions[].secrets",
    on: ["RegisterTaskDefinition"],
    apply: sortedContainerList("secrets"),
  },
  {
    path: "RegisterTaskDefinition.containerDefinitions[].environment",
    on: ["RegisterTaskDefinition"],
    apply: sortedContainerList("environment"),
  },
  {
    path: "RegisterTaskDefinition.containerDefinitions[].image",
    on: ["RegisterTaskDefinition", "DescribeTasks"],
    apply(value, x, target) {
      if (!x.c.defaultImage) return;
      const containers = target === "DescribeTasks" ? (value.containers as Obj[]) : containersOf(value);
      for (const container of containers)
        if (container.name === "prefect") {
          expect(container.image).toBe(x.side === "ours" ? DEFAULT_IMAGE : x.prefectDefaultImage);
          container.image = "<default image>";
        }
    },
  },
  {
    path: "RunTask.clientToken",
    on: ["RunTask"],
    apply(req) {
      expect(typeof req.clientToken === "string" && req.clientToken.length > 0, "clientToken").toBe(true);
      delete req.clientToken;
    },
  },
  {
    path: "RunTask.startedBy",
    on: ["RunTask", "DescribeTasks"],
    apply(value, x) {
      if (x.side === "ours") expect(value.startedBy).toBe(startedByFor(x.flowRunId, x.containerName));
      else expect(value.startedBy ?? "").toBe("");
      delete value.startedBy;
    },
  },
  {
    path: "RunTask.taskDefinition",
    on: ["RunTask"],
    apply(req) {
      expect(String(req.taskDefinition)).toMatch(/^arn:aws:ecs:.*:task-definition\//);
      delete req.taskDefinition;
    },
  },
  {
    path: "RunTask.networkConfiguration.awsvpcConfiguration.subnets",
    on: ["RunTask"],
    apply(req, x) {
      const awsvpc = (req.networkConfiguration as Obj | undefined)?.awsvpcConfiguration as Obj | undefined;
      if (!awsvpc || !Array.isArray(awsvpc.subnets) || x.c.customNetwork) return;
      const sorted = [...awsvpc.subnets].sort();
      if (x.side === "ours") expect(awsvpc.subnets).toEqual(sorted);
      awsvpc.subnets = sorted;
    },
  },
  {
    path: "RunTask.tags[pushpool.io/claim-token]",
    on: ["RunTask", "DescribeTasks"],
    apply(value, x) {
      dropTag(value, CLAIM_TOKEN_TAG, x.side === "ours" ? [{ key: CLAIM_TOKEN_TAG, value: x.token }] : []);
    },
  },
  {
    path: "RunTask.tags[prefect.io/degregister-task-definition]",
    on: ["RunTask", "DescribeTasks"],
    apply(value, x) {
      const tag = { key: DEREGISTER_TAG, value: "true" };
      dropTag(value, DEREGISTER_TAG, x.side === "prefect" && x.c.deregister ? [tag] : []);
    },
  },
  {
    path: "RunTask.overrides.containerOverrides[].environment[PREFECT_API_KEY]",
    on: ["RunTask", "DescribeTasks"],
    apply(value, x) {
      if (!x.c.apiKeyInEnv) return;
      for (const container of overridesOf(value)) {
        const env = (container.environment as Obj[] | undefined) ?? [];
        const keys = env.filter((e) => e.name === "PREFECT_API_KEY");
        if (container.name === "prefect" && x.side === "prefect")
          expect(keys, "Prefect's plain API key").toEqual([
            { name: "PREFECT_API_KEY", value: x.c.apiKeyInEnv },
          ]);
        else expect(keys, "no plain API key").toEqual([]);
        container.environment = env.filter((e) => e.name !== "PREFECT_API_KEY");
      }
    },
  },
  {
    path: "RunTask.cluster (empty)",
    on: ["RunTask"],
    apply(req, x) {
      if (!x.c.emptyCluster) {
        expect(req.cluster, "an empty cluster").not.toBe("");
        return;
      }
      if (x.side === "prefect") expect(req.cluster).toBe("");
      else expect(req).not.toHaveProperty("cluster");
      delete req.cluster;
    },
  },
  {
    path: "refused request (boto3 parameter validation)",
    on: ["calls"],
    apply(value, x) {
      const ops = (value.calls as { op: string }[]).map((call) => call.op);
      if (!x.c.refusedBy || x.side === "ours") return;
      expect(ops[0], "Prefect registers first").toBe("RegisterTaskDefinition");
      expect(ops.at(-1), "and boto3 refuses this request").toBe(x.c.refusedBy);
      value.calls = [];
    },
  },
  {
    path: "infrastructure_pid.cluster",
    on: ["pid"],
    apply(pid, x) {
      if (!x.c.pidClusterDiffers) return;
      const arn = /^arn:aws:ecs:[^:]+:\d+:cluster\//;
      if (x.side === "ours") expect(pid.cluster).toMatch(arn);
      else expect(pid.cluster).not.toMatch(arn);
      pid.cluster = "<cluster>";
    },
  },
  {
    path: "DescribeTasks.group",
    on: ["DescribeTasks"],
    apply(task, x) {
      expect(String(task.group)).toMatch(/^family:/);
      if (!x.c.explicitFamily && !x.c.linked && !x.c.reuses) delete task.group;
    },
  },
];

/** `value` without the declared differences that apply to `target`. */
export function normalize(target: Target, value: JsonObject | Obj, x: NormalizeContext): Obj {
  const out = structuredClone(value) as Obj;
  for (const n of NORMALISERS) if (n.on.includes(target)) n.apply(out, x, target);
  return out;
}
