/**
 * @module
 * The state behind the local Azure Resource Manager (./armFake.ts): deployments and the container
 * groups they create, moving as ARM and ACI move them. A deployment PUT is validated at once
 * (preflight: template expressions, parameters, container-group names and required fields → 400
 * `InvalidTemplate`/`InvalidTemplateDeployment`), answered `Accepted`, and then runs in steps of
 * `stepMs`: Running (its groups exist, `Creating`, containers Waiting) → Succeeded (groups
 * `Succeeded`, containers Running). An image named `…does-not-exist…` cannot be pulled: the group
 * fails (`Failed`, a Warning event) and so does the deployment (`InaccessibleImage`). A container
 * ends when the test says so ({@link ArmWorld.finish}), with an exit code and log lines, or, with
 * `autoExitCode`, one step after it started (for a worker that watches until the end). A
 * re-PUT of a deployment updates its groups in place (incremental mode): no group starts twice.
 */
import { ArmTemplateError, expandTemplate } from "./armTemplate.ts";

export const GROUP_TYPE = "Microsoft.ContainerInstance/containerGroups";
const GROUP_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class ArmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { code: string; message: string }[] = [],
  ) {
    super(message);
  }
}

interface ContainerState {
  state: "Waiting" | "Running" | "Terminated";
  exitCode?: number;
  detailStatus?: string;
  startTime?: string;
  finishTime?: string;
}

export interface FakeGroup {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  resource: Record<string, unknown>;
  provisioningState: string;
  containers: { name: string; image: string; state: ContainerState; logs: string[] }[];
  events: { type: string; name: string; message: string }[];
}

export interface FakeDeployment {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  body: Record<string, unknown>;
  provisioningState: string;
  error?: { code: string; message: string; details: { code: string; message: string }[] };
  groupKeys: string[];
}

export const keyOf = (sub: string, rg: string, name: string) => `${sub}/${rg}/${name}`.toLowerCase();
const now = () => new Date().toISOString();

export class ArmWorld {
  readonly deployments = new Map<string, FakeDeployment>();
  readonly groups = new Map<string, FakeGroup>();
  /** Every deployment PUT accepted, in order (what a parity test compares). */
  readonly deploymentRequests: { resourceGroup: string; name: string; body: Record<string, unknown> }[] = [];
  /** Container groups created so far (never decremented by a delete). */
  created = 0;
  /**
   * Every container group an accepted deployment creates or will create (its key): the pieces of
   * infrastructure started, counted from the PUT on (the group itself appears a step later).
   */
  readonly groupsDeployed = new Set<string>();
  constructor(
    private readonly stepMs: number,
    readonly location = "westeurope",
    /** When set, every container exits with this code one step after it started running. */
    private readonly autoExitCode: number | null = null,
  ) {}

  /** Preflight, then the deployment starts running in the background. */
  putDeployment(sub: string, rg: string, name: string, body: Record<string, unknown>): FakeDeployment {
    const key = keyOf(sub, rg, name);
    const active = this.deployments.get(key);
    if (active && ["Accepted", "Running"].includes(active.provisioningState))
      throw new ArmHttpError(
        409,
        "DeploymentActive",
        `The deployment '${name}' cannot be saved, because this would overwrite an existing deployment which is still active.`,
      );
    const props = (body.properties ?? {}) as Record<string, unknown>;
    if (props.mode !== "Incremental" && props.mode !== "Complete")
      throw new ArmHttpError(
        400,
        "InvalidRequestContent",
        "The request content was invalid: 'mode' is required.",
      );
    let resources: Record<string, unknown>[];
    try {
      resources = expandTemplate(
        (props.template ?? {}) as Record<string, unknown>,
        (props.parameters ?? {}) as Record<string, { value?: unknown }>,
        { subscriptionId: sub, resourceGroup: rg, location: this.location },
      );
    } catch (error) {
      if (error instanceof ArmTemplateError) throw new ArmHttpError(400, error.code, error.message);
      throw error;
    }
    for (const r of resources) if (r.type === GROUP_TYPE) preflightGroup(r);
    for (const r of resources)
      if (r.type === GROUP_TYPE) this.groupsDeployed.add(keyOf(sub, rg, String(r.name)));
    const deployment: FakeDeployment = {
      subscriptionId: sub,
      resourceGroup: rg,
      name,
      body: structuredClone(body),
      provisioningState: "Accepted",
      groupKeys: [],
    };
    this.deployments.set(key, deployment);
    this.deploymentRequests.push({ resourceGroup: rg, name, body: structuredClone(body) });
    setTimeout(() => this.run(deployment, resources), this.stepMs);
    return deployment;
  }

  private run(d: FakeDeployment, resources: Record<string, unknown>[]): void {
    d.provisioningState = "Running";
    const failures: { code: string; message: string }[] = [];
    for (const r of resources) {
      if (r.type !== GROUP_TYPE) continue;
      const group = this.upsertGroup(d, r);
      d.groupKeys.push(keyOf(d.subscriptionId, d.resourceGroup, group.name));
      const bad = group.containers.find((c) => c.image.includes("does-not-exist"));
      if (bad)
        failures.push({
          code: "InaccessibleImage",
          message: `The image '${bad.image}' in container group '${group.name}' is not accessible. Please check the image and registry credential.`,
        });
    }
    setTimeout(() => {
      for (const key of d.groupKeys) {
        const group = this.groups.get(key);
        if (group === undefined) continue;
        if (group.provisioningState !== "Creating") continue;
        const bad = group.containers.find((c) => c.image.includes("does-not-exist"));
        if (bad) {
          group.provisioningState = "Failed";
          bad.state = { state: "Waiting", detailStatus: "ErrImagePull" };
          group.events.push({
            type: "Warning",
            name: "Failed",
            message: `Failed to pull image "${bad.image}"`,
          });
          continue;
        }
        group.provisioningState = "Succeeded";
        for (const c of group.containers)
          if (c.state.state === "Waiting") c.state = { state: "Running", startTime: now(), detailStatus: "" };
        const code = this.autoExitCode;
        if (code !== null) setTimeout(() => this.finish(group, code, [`exited with ${code}`]), this.stepMs);
      }
      if (failures.length > 0) {
        d.provisioningState = "Failed";
        d.error = {
          code: "DeploymentFailed",
          message:
            "At least one resource deployment operation failed. Please list deployment operations for details.",
          details: failures,
        };
      } else d.provisioningState = "Succeeded";
    }, this.stepMs);
  }

  /** Creates the group, or updates an existing one in place (its containers keep their state). */
  private upsertGroup(d: FakeDeployment, resource: Record<string, unknown>): FakeGroup {
    const name = String(resource.name);
    const key = keyOf(d.subscriptionId, d.resourceGroup, name);
    const existing = this.groups.get(key);
    if (existing) {
      existing.resource = resource;
      return existing;
    }
    const props = resource.properties as { containers: { name: string; properties: { image: string } }[] };
    const group: FakeGroup = {
      subscriptionId: d.subscriptionId,
      resourceGroup: d.resourceGroup,
      name,
      resource,
      provisioningState: "Creating",
      containers: props.containers.map((c) => ({
        name: c.name,
        image: c.properties.image,
        state: { state: "Waiting", detailStatus: "Pulling" },
        logs: [],
      })),
      events: [],
    };
    this.groups.set(key, group);
    this.created++;
    return group;
  }

  /** Ends the group's containers with `exitCode`, after they printed `logs`. */
  finish(group: FakeGroup, exitCode: number, logs: string[] = []): void {
    for (const c of group.containers) {
      c.logs.push(...logs);
      c.state = { state: "Terminated", exitCode, detailStatus: "Completed", finishTime: now() };
    }
  }

  /** ACI's stop: every container terminated (no exit code), the group kept. */
  stop(group: FakeGroup): void {
    for (const c of group.containers)
      if (c.state.state !== "Terminated")
        c.state = { state: "Terminated", detailStatus: "Stopped", finishTime: now() };
  }
}

function preflightGroup(r: Record<string, unknown>): void {
  const name = r.name;
  if (typeof name !== "string" || !GROUP_NAME.test(name) || name.includes("--"))
    throw new ArmHttpError(
      400,
      "InvalidTemplateDeployment",
      `The template deployment is not valid according to the validation procedure. Container group name '${String(name)}' is invalid: it must be 1 to 63 lowercase letters, numbers and single hyphens, starting and ending with a letter or number.`,
    );
  const props = r.properties as { containers?: unknown; osType?: unknown } | undefined;
  const containers = Array.isArray(props?.containers) ? (props.containers as Record<string, unknown>[]) : [];
  if (containers.length === 0 || !props?.osType)
    throw new ArmHttpError(
      400,
      "InvalidTemplateDeployment",
      `Container group '${name}' needs containers and an osType.`,
    );
  for (const c of containers) {
    const cp = (c.properties ?? {}) as {
      image?: unknown;
      resources?: { requests?: Record<string, unknown> };
    };
    if (typeof c.name !== "string" || typeof cp.image !== "string" || !cp.resources?.requests?.cpu)
      throw new ArmHttpError(
        400,
        "InvalidTemplateDeployment",
        `Container '${String(c.name)}' of group '${name}' needs a name, an image and resources.requests.`,
      );
  }
}
