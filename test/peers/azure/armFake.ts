/**
 * @module
 * A local Azure Resource Manager for the ACI backend's tests, served over https (a CA made by
 * ./tls.ts, trusted by the test's clients only) so that the REAL `@azure/arm-resources` and
 * `@azure/arm-containerinstance` clients talk to it, bearer token and all:
 * - `PUT/GET …/providers/Microsoft.Resources/deployments/<name>`: preflight, 201 `Accepted` with an
 *   `Azure-AsyncOperation` header, then the deployment runs (./armWorld.ts); `GET
 *   …/deployments/<name>/operationStatuses/<id>` answers `{status}` as ARM does;
 * - `GET/DELETE …/containerGroups/<name>`, `POST …/stop`, `GET …/containers/<c>/logs`;
 * - errors in ARM's shape `{error: {code, message, details}}`; a request without a bearer token → 401.
 * Hooks: {@link ArmFake.failNextDeployAmbiguously} (the next deployment PUT is applied, then the
 * connection is cut before the answer), {@link ArmFake.finish} (a group's containers exit).
 * Secure environment values are never in a GET answer (as ACI omits `secureValue`).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { ArmHttpError, ArmWorld, type FakeDeployment, type FakeGroup, keyOf } from "./armWorld.ts";
import { testTls } from "./tls.ts";

const RG = "/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers";
const DEPLOYMENT = new RegExp(`^${RG}/Microsoft\\.Resources/deployments/([^/]+)$`, "i");
const OPERATION = new RegExp(
  `^${RG}/Microsoft\\.Resources/deployments/([^/]+)/operationStatuses/([^/]+)$`,
  "i",
);
const GROUP = new RegExp(`^${RG}/Microsoft\\.ContainerInstance/containerGroups/([^/]+)$`, "i");
const STOP = new RegExp(`^${RG}/Microsoft\\.ContainerInstance/containerGroups/([^/]+)/stop$`, "i");
const LOGS = new RegExp(
  `^${RG}/Microsoft\\.ContainerInstance/containerGroups/([^/]+)/containers/([^/]+)/logs$`,
  "i",
);

export interface ArmFake {
  /** `https://localhost:<port>`: the clients' endpoint. */
  readonly endpoint: string;
  /** PEM of the CA the clients must trust. */
  readonly ca: string;
  readonly world: ArmWorld;
  /** Every request received: method, path (no query) and parsed body. */
  readonly requests: { method: string; path: string; body: unknown }[];
  failNextDeployAmbiguously(): void;
  group(subscriptionId: string, resourceGroup: string, name: string): FakeGroup | undefined;
  finish(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    exitCode: number,
    logs?: string[],
  ): void;
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function errorBody(e: ArmHttpError) {
  return { error: { code: e.code, message: e.message, details: e.details } };
}

function notFound(type: string, name: string, rg: string): ArmHttpError {
  return new ArmHttpError(
    404,
    "ResourceNotFound",
    `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

function deploymentJson(d: FakeDeployment) {
  const props = d.body.properties as Record<string, unknown>;
  return {
    id: `/subscriptions/${d.subscriptionId}/resourceGroups/${d.resourceGroup}/providers/Microsoft.Resources/deployments/${d.name}`,
    name: d.name,
    type: "Microsoft.Resources/deployments",
    tags: d.body.tags,
    properties: {
      provisioningState: d.provisioningState,
      mode: props.mode,
      parameters: props.parameters,
      timestamp: new Date().toISOString(),
      ...(d.error ? { error: d.error } : {}),
    },
  };
}

/** The group as ACI answers a GET: the deployed resource, its state, no `secureValue`. */
export function groupJson(g: FakeGroup) {
  const resource = structuredClone(g.resource) as {
    properties: { containers: { name: string; properties: Record<string, unknown> }[] };
  };
  const containers = resource.properties.containers.map((c, i) => {
    const env = Array.isArray(c.properties.environmentVariables)
      ? (c.properties.environmentVariables as Record<string, unknown>[]).map(
          ({ secureValue: _s, ...rest }) => rest,
        )
      : undefined;
    const state = g.containers[i]?.state;
    return {
      ...c,
      properties: {
        ...c.properties,
        ...(env ? { environmentVariables: env } : {}),
        instanceView: state ? { currentState: state, restartCount: 0, events: [] } : undefined,
      },
    };
  });
  const imageRegistryCredentials = (
    (resource.properties as Record<string, unknown>).imageRegistryCredentials as
      | Record<string, unknown>[]
      | undefined
  )?.map(({ password: _p, ...rest }) => rest);
  return {
    id: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${g.name}`,
    ...resource,
    name: g.name,
    properties: {
      ...resource.properties,
      ...(imageRegistryCredentials ? { imageRegistryCredentials } : {}),
      containers,
      provisioningState: g.provisioningState,
      instanceView: {
        state: g.containers.every((c) => c.state.state === "Terminated") ? "Stopped" : "Running",
        events: g.events,
      },
    },
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

/**
 * Starts the fake; `stepMs` is how long each deployment step takes (default 150 ms); with
 * `autoExitCode`, containers exit on their own one step after they started.
 */
export async function startArmFake(
  options: { stepMs?: number; autoExitCode?: number } = {},
): Promise<ArmFake> {
  const tls = testTls();
  const world = new ArmWorld(options.stepMs ?? 150, "westeurope", options.autoExitCode ?? null);
  const requests: ArmFake["requests"] = [];
  const operations = new Map<string, FakeDeployment>();
  let ambiguous = false;
  let endpoint = "";

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // The SDK's by-id calls send `//subscriptions/…` (`/{resourceId}`); ARM reads it as one slash.
    const url = new URL((req.url ?? "/").replace(/^\/+/, "/"), "https://localhost");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const body = await readBody(req);
    requests.push({ method, path, body });
    if (!/^Bearer \S+/.test(req.headers.authorization ?? ""))
      throw new ArmHttpError(
        401,
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is missing.",
      );
    const op = OPERATION.exec(path);
    if (op) {
      const d = operations.get(op[4] ?? "");
      if (!d) throw notFound("operationStatuses", op[4] ?? "", op[2] ?? "");
      const status = d.provisioningState === "Accepted" ? "Running" : d.provisioningState;
      // Retry-After: 1 — Python's ARM poller waits 30 s between polls without one.
      return send(res, 200, { status, ...(d.error ? { error: d.error } : {}) }, { "retry-after": "1" });
    }
    const dep = DEPLOYMENT.exec(path);
    if (dep) {
      const [, sub = "", rg = "", name = ""] = dep;
      if (method === "PUT") {
        const d = world.putDeployment(sub, rg, name, body as Record<string, unknown>);
        if (ambiguous) {
          ambiguous = false;
          req.socket.destroy();
          return;
        }
        const op = randomUUID();
        operations.set(op, d);
        return send(res, 201, deploymentJson(d), {
          "retry-after": "1",
          "azure-asyncoperation": `${endpoint}${path}/operationStatuses/${op}?api-version=${url.searchParams.get("api-version")}`,
        });
      }
      const d = world.deployments.get(keyOf(sub, rg, name));
      if (method === "GET" && d) return send(res, 200, deploymentJson(d));
      throw notFound("Microsoft.Resources/deployments", name, rg);
    }
    const stop = STOP.exec(path);
    const logs = LOGS.exec(path);
    const group = GROUP.exec(path);
    const [, sub = "", rg = "", name = ""] = stop ?? logs ?? group ?? [];
    const found = world.groups.get(keyOf(sub, rg, name));
    if (stop && method === "POST") {
      if (!found) throw notFound("Microsoft.ContainerInstance/containerGroups", name, rg);
      world.stop(found);
      return send(res, 204);
    }
    if (logs && method === "GET") {
      const container = found?.containers.find((c) => c.name === logs[4]);
      if (!found || !container) throw notFound("Microsoft.ContainerInstance/containerGroups", name, rg);
      const tail = Number(url.searchParams.get("tail") ?? "0");
      const lines = tail > 0 ? container.logs.slice(-tail) : container.logs;
      return send(res, 200, { content: lines.map((l) => `${l}\n`).join("") });
    }
    if (group && method === "GET") {
      if (!found) throw notFound("Microsoft.ContainerInstance/containerGroups", name, rg);
      return send(res, 200, groupJson(found));
    }
    if (group && method === "DELETE") {
      if (!found) return send(res, 204);
      world.groups.delete(keyOf(sub, rg, name));
      return send(res, 200, groupJson(found));
    }
    throw new ArmHttpError(
      400,
      "InvalidResourceType",
      `No route for ${method} ${path} in the local ARM fake.`,
    );
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || req.socket.destroyed) return;
      if (error instanceof ArmHttpError) return send(res, error.status, errorBody(error));
      send(res, 500, { error: { code: "InternalServerError", message: String(error) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `https://localhost:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    ca: tls.ca,
    world,
    requests,
    failNextDeployAmbiguously() {
      ambiguous = true;
    },
    group: (sub, rg, name) => world.groups.get(keyOf(sub, rg, name)),
    finish(sub, rg, name, exitCode, logs) {
      const g = world.groups.get(keyOf(sub, rg, name));
      if (!g) throw new Error(`no container group ${rg}/${name}`);
      world.finish(g, exitCode, logs);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
