/**
 * @module
 * The ACI primitives of the start-once protocol (core/backends/startOnce.ts). A claim's container
 * group is made by one incremental deployment whose name is a function of the group's name, and
 * both the deployment and the group carry the claim's token ({@link CLAIM_TAG}):
 *
 * - `start` deploys under Prefect's names (group `<slug>-<flow_run_id>`, deployment
 *   `prefect-<group>`) — unless that deployment or group already exists for ANOTHER token: a
 *   leftover of an older claim of the same run (after a crash, a retry from the UI, or a group a
 *   Prefect worker left). A new claim never re-deploys over it (an incremental re-deploy of a
 *   terminated group does not start it again) and never adopts it: it gets its own group,
 *   `<slug>-<10 hex of its token>-<flow_run_id>` (./names.ts). Deliveries of one claim compute the
 *   same name, and a re-PUT of the same deployment is idempotent: one group per claim.
 * - `find` looks for the token on the deployment (visible from the PUT's acceptance on, before the
 *   group exists) and then on the group (deployment records can be pruned), under both names.
 */

import type { PlainObject } from "../../shared/plain.ts";
import { isPlainObject } from "../../shared/plain.ts";
import { classifyAzureError, classifyDeployError } from "./classify.ts";
import { claimGroupName, deploymentName, prefectGroupName } from "./names.ts";
import type { AciApi, ArmDeployment } from "./port.ts";
import type { AciRequest } from "./prepare.ts";
import { CLAIM_TAG, groupTags } from "./tags.ts";

/** Whose claim a name holds: the token on its deployment or group; undefined when neither exists. */
async function ownerOf(api: AciApi, rg: string, group: string): Promise<string | null | undefined> {
  const deployment = await api.getDeployment(rg, deploymentName(group));
  if (deployment) return deployment.tags?.[CLAIM_TAG] ?? null;
  const existing = await api.getContainerGroup(rg, group);
  if (existing) return existing.tags?.[CLAIM_TAG] ?? null;
  return undefined;
}

/** The group name `token`'s claim started, or null. */
export async function findClaimGroup(
  api: AciApi,
  request: AciRequest,
  token: string,
): Promise<string | null> {
  const names = [
    prefectGroupName(request.flowName, request.flowRunId),
    claimGroupName(request.flowName, request.flowRunId, token),
  ];
  try {
    for (const name of names) if ((await ownerOf(api, request.resourceGroup, name)) === token) return name;
  } catch (error) {
    throw classifyAzureError(
      error,
      "Failed to look for the ACI container group of this claim",
      request.subscriptionId,
    );
  }
  return null;
}

/** The name this claim deploys under: Prefect's, unless an older claim holds it. */
export async function groupNameFor(api: AciApi, request: AciRequest, token: string): Promise<string> {
  const primary = prefectGroupName(request.flowName, request.flowRunId);
  let owner: string | null | undefined;
  try {
    owner = await ownerOf(api, request.resourceGroup, primary);
  } catch (error) {
    throw classifyAzureError(
      error,
      "Failed to read the ACI container group of this run",
      request.subscriptionId,
    );
  }
  return owner === undefined || owner === token
    ? primary
    : claimGroupName(request.flowName, request.flowRunId, token);
}

/** The deployment of `group` for `token`: the template with the claim tag, Prefect's one parameter. */
export function claimDeployment(request: AciRequest, group: string, token: string): ArmDeployment {
  const template = structuredClone(request.template);
  const first = (template.resources as PlainObject[])[0] as PlainObject;
  if (first.tags === undefined || isPlainObject(first.tags))
    first.tags = groupTags((first.tags as PlainObject | undefined) ?? {}, {}, token) as PlainObject;
  return {
    properties: {
      mode: "Incremental",
      template,
      parameters: { container_group_name: { value: group } },
    },
    tags: { [CLAIM_TAG]: token },
  };
}

/** One deployment PUT for the claim (never retried here: core's protocol decides). */
export async function deployClaim(api: AciApi, request: AciRequest, group: string, token: string) {
  try {
    await api.deploy(request.resourceGroup, deploymentName(group), claimDeployment(request, group, token));
  } catch (error) {
    throw classifyDeployError(error, request.resourceGroup, request.subscriptionId);
  }
}
