/**
 * The declared differences between pushpool's ACI deployments and those of Prefect's ACI worker:
 * the "Azure Container Instances" section of docs/parity/differences.md (read here), and one
 * normaliser per row that checks each side's value has the shape the row describes, then removes
 * the difference. Everything else in the deployment PUT must be equal.
 */
import { expect } from "vitest";
import { DEFAULT_IMAGE } from "../../../core/backends/azure-container-instance/index.ts";
import { CLAIM_TAG, tagName } from "../../../core/backends/azure-container-instance/tags.ts";
import { readTable, type TableRow } from "../aws-parity/differences.ts";

export const SECTION = "Azure Container Instances";
export const aciRows = (): TableRow[] => readTable(undefined, SECTION);

export type Side = "ours" | "prefect";
type Obj = Record<string, unknown>;

export interface NormalizeContext {
  side: Side;
  /** The case's job variables. */
  vars: Obj;
  /** The labels pushpool prepared for the run (its tags' source). */
  labels: Record<string, string>;
  prefectDefaultImage: string;
}

interface Normaliser {
  path: string;
  apply(body: Obj, x: NormalizeContext): void;
}

const groupOf = (body: Obj) =>
  ((body.properties as Obj).template as { resources: Obj[] }).resources[0] as Obj;
const flowContainerOf = (body: Obj) =>
  (((groupOf(body).properties as Obj).containers as Obj[])[0] as { properties: Obj }).properties;

export const NORMALISERS: Normaliser[] = [
  {
    path: "deployment.tags",
    apply(body, x) {
      if (x.side === "ours") expect(Object.keys(body.tags as Obj)).toEqual([CLAIM_TAG]);
      else expect(body.tags).toBeUndefined();
      delete body.tags;
    },
  },
  {
    path: "arm_template.resources[0].tags",
    apply(body, x) {
      const group = groupOf(body);
      if (x.side === "ours") {
        const tags = group.tags as Record<string, string>;
        expect(tags[CLAIM_TAG]).toMatch(/^pp-[0-9a-f]{32}$/);
        for (const [key, value] of Object.entries(x.labels)) expect(tags[tagName(key)]).toBe(value);
        expect(Object.keys(tags).length).toBeLessThanOrEqual(50);
      } else expect(group.tags).toBeUndefined();
      delete group.tags;
    },
  },
  {
    path: "arm_template.resources[0].properties.containers[0].properties.resources.requests.gpu",
    apply(body, x) {
      const requests = (flowContainerOf(body).resources as { requests: Obj }).requests;
      if (x.side === "ours" && x.vars.gpu_count)
        expect(requests.gpu).toEqual({ count: x.vars.gpu_count, sku: x.vars.gpu_sku });
      else expect(requests.gpu).toBeUndefined();
      delete requests.gpu;
    },
  },
  {
    path: "arm_template.resources[0].properties.containers[0].properties.image",
    apply(body, x) {
      const container = flowContainerOf(body);
      if (x.vars.image) return; // set: both sides send it, compared as it is
      expect(container.image).toBe(x.side === "ours" ? DEFAULT_IMAGE : x.prefectDefaultImage);
      delete container.image;
    },
  },
];

/** The outcome rows (not request fields): checked by the test itself, listed here to match the table. */
export const OUTCOME_ROWS = ["outcome (more than one container in the group)"];

/** A deep copy of a deployment PUT body with every declared difference removed. */
export function normalize(body: Obj, x: NormalizeContext): Obj {
  const copy = structuredClone(body);
  for (const n of NORMALISERS) n.apply(copy, x);
  return copy;
}
