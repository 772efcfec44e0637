/**
 * @module
 * `pushpool doctor` for an `ecs` pool: what a first run of the pool would meet, checked with the
 * calls the backend already makes (no IAM or extra SDK client):
 *
 * - the job configuration prepares (the pool's base job template with its defaults);
 * - the cluster exists (ListTasks answers ClusterNotFoundException when it does not);
 * - the task definition is found or registered — as the first run would register it — which is
 *   where a role that cannot be passed (`iam:PassRole`) or a malformed role ARN is refused;
 *   a linked `task_definition_arn` must exist and be ACTIVE;
 * - `awsvpc` networking resolves (the default or given VPC has subnets; configured subnets are in it).
 *
 * Whether a role exists is not checked (that needs `iam:GetRole`): ECS reports it at RunTask.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { BackendContext } from "../../ports/backend.ts";
import type { CheckRow } from "../../ports/check.ts";
import { awsErrorShape } from "./classify.ts";
import type { EcsApi } from "./port.ts";
import type { EcsRequest } from "./request.ts";

export interface EcsDoctorPorts {
  prepare(config: JobConfiguration, ctx: BackendContext): EcsRequest;
  api(request: EcsRequest): EcsApi;
  /** Finds or registers the task definition (the backend's `warm`). */
  warm(request: EcsRequest): Promise<void>;
  /** Task definition and networking (the backend's `resolve`): the RunTask request's network. */
  resolve(request: EcsRequest, ctx: BackendContext): Promise<{ runTask: Record<string, unknown> }>;
}

export async function ecsDoctor(
  config: JobConfiguration,
  ctx: BackendContext,
  ports: EcsDoctorPorts,
): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const fail = (check: string, detail: string, fix: string) => rows.push({ check, ok: false, detail, fix });
  let request: EcsRequest;
  try {
    request = ports.prepare(config, ctx);
  } catch (error) {
    fail(
      "ECS job configuration",
      reason(error),
      "fix the pool's base job template (prefect work-pool update)",
    );
    return rows;
  }
  rows.push({ check: "ECS job configuration", ok: true, detail: "prepares" });
  const api = ports.api(request);
  const cluster = request.cluster ?? "default";
  try {
    await api.listTasksStartedBy(request.cluster, "pushpool/doctor");
    rows.push({ check: "ECS cluster", ok: true, detail: `'${cluster}' exists in ${api.region}` });
  } catch (error) {
    if (awsErrorShape(error).name === "ClusterNotFoundException")
      fail(
        "ECS cluster",
        `cluster '${cluster}' not found in ${api.region}`,
        `create it (aws ecs create-cluster --cluster-name ${cluster}) or set the pool's \`cluster\` (or PUSHPOOL_ECS_CLUSTER)`,
      );
    else
      fail(
        "ECS cluster",
        `cannot read cluster '${cluster}': ${reason(error)}`,
        "check the AWS credentials and region",
      );
    return rows;
  }
  const plan = request.taskDefinition;
  const roles = rolesOf(request);
  try {
    await ports.warm(request);
    rows.push({
      check: "ECS task definition",
      ok: true,
      detail: `${plan.kind === "arn" ? `linked ${plan.arn}` : `family ${plan.family} registered or found`}${roles}`,
    });
  } catch (error) {
    const text = reason(error);
    fail(
      "ECS task definition",
      `${text}${roles}`,
      /PassRole/i.test(text)
        ? "allow iam:PassRole on the role (serverless.yml's ecsExecutionRoles / ecsTaskRoles), or use another role"
        : "fix the pool's task definition settings (image, roles, cpu/memory) or the caller's ECS permissions",
    );
    return rows;
  }
  try {
    const { runTask } = await ports.resolve(request, ctx);
    const net = runTask.networkConfiguration as { awsvpcConfiguration?: { subnets?: unknown } } | undefined;
    const subnets = net?.awsvpcConfiguration?.subnets;
    rows.push({
      check: "ECS networking",
      ok: true,
      detail: Array.isArray(subnets) ? `subnets ${subnets.join(", ")}` : "no awsvpc networking needed",
    });
  } catch (error) {
    fail(
      plan.kind === "arn" ? "ECS linked task definition and networking" : "ECS networking",
      reason(error),
      "set the pool's vpc_id (and network_configuration subnets of that VPC), or create a default VPC",
    );
  }
  return rows;
}

function rolesOf(request: EcsRequest): string {
  const spec = request.taskDefinition.kind === "spec" ? request.taskDefinition.spec : null;
  const execution = request.executionRoleArn ?? spec?.executionRoleArn;
  const task = spec?.taskRoleArn ?? (request.runTask?.overrides?.taskRoleArn as string | undefined);
  const parts = [execution && `execution role ${execution}`, task && `task role ${task}`].filter(Boolean);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

function reason(error: unknown): string {
  const shape = awsErrorShape(error);
  return shape.name && shape.name !== "Error" && !shape.message.startsWith(shape.name)
    ? `${shape.name}: ${shape.message}`
    : shape.message;
}
