/**
 * @module
 * Networking for `awsvpc` tasks, as Prefect's `_load_network_configuration` and
 * `_custom_network_configuration` decide it: no `network_configuration` → every subnet of the
 * given (or default) VPC with a public IP; a `network_configuration` → its subnets must belong to
 * `vpc_id`, then it is passed verbatim as `awsvpcConfiguration`. Subnets found by discovery are
 * sorted so a retried RunTask sends identical parameters (its client token requires that), and
 * remembered for a minute per AWS port (./subnetCache.ts).
 */
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import type { PlainObject } from "../../shared/plain.ts";
import { classifyAwsError } from "./classify.ts";
import type { EcsApi } from "./port.ts";
import { rememberedSubnets } from "./subnetCache.ts";

export interface NetworkInput {
  /** The task definition's network mode (only `awsvpc` gets a network configuration). */
  networkMode: unknown;
  /** True when the rendered `task_run_request` already carries a `networkConfiguration`. */
  templateHasNetworkConfiguration: boolean;
  vpcId: string | null;
  networkConfiguration: PlainObject;
}

/** The `networkConfiguration` RunTask needs, or undefined to leave the request as it is. */
export async function resolveNetwork(api: EcsApi, input: NetworkInput): Promise<PlainObject | undefined> {
  if (input.networkMode !== "awsvpc") return undefined;
  const custom = Object.keys(input.networkConfiguration).length > 0;
  if (!custom) {
    if (input.templateHasNetworkConfiguration) return undefined;
    const help = input.vpcId
      ? "Check that the VPC exists in the current region."
      : "Pass an explicit `vpc_id` or configure a default VPC.";
    const subnets = await vpcSubnets(api, input.vpcId, help);
    return { awsvpcConfiguration: { subnets, assignPublicIp: "ENABLED", securityGroups: [] } };
  }
  if (!input.vpcId)
    throw new InvalidJobConfigurationError(
      "You must provide a `vpc_id` to enable custom `network_configuration`.",
    );
  const subnets = new Set(await vpcSubnets(api, input.vpcId, "Pass an explicit `vpc_id`."));
  const wanted = input.networkConfiguration.subnets;
  const configured = Array.isArray(wanted) ? wanted.map(String) : [];
  const missing = configured.filter((s) => !subnets.has(s));
  if (missing.length > 0)
    throw new InvalidJobConfigurationError(
      `network_configuration: Subnets [${configured.map((s) => `'${s}'`).join(", ")}] not found within VPC with ID ${input.vpcId}. Please check that VPC is associated with supplied subnets.`,
    );
  return { awsvpcConfiguration: structuredClone(input.networkConfiguration) };
}

function vpcSubnets(api: EcsApi, vpcId: string | null, help: string): Promise<string[]> {
  return rememberedSubnets(api, vpcId, () => discoverSubnets(api, vpcId, help));
}

async function discoverSubnets(api: EcsApi, vpcId: string | null, help: string): Promise<string[]> {
  const what = vpcId ? `VPC with ID ${vpcId}` : "the default VPC";
  let vpc: { vpcId: string } | null;
  let subnets: string[];
  try {
    vpc = await api.findVpc(vpcId ?? undefined);
    if (!vpc)
      throw new InvalidJobConfigurationError(
        `Failed to find ${what}. Network configuration cannot be inferred. ${help}`,
      );
    subnets = await api.listSubnets(vpc.vpcId);
  } catch (error) {
    if (error instanceof InvalidJobConfigurationError) throw error;
    throw classifyAwsError(error, "Failed to read the VPC network configuration");
  }
  if (subnets.length === 0)
    throw new InvalidJobConfigurationError(
      `Failed to find subnets for ${what}. Network configuration cannot be inferred.`,
    );
  return [...subnets].sort();
}
