/**
 * Secret hygiene: with canary values for the Prefect API key, the auth string and the webhook secret,
 * representative flows run through both runtimes against a Prefect server that requires the canary
 * auth string — the local stack (signed webhook → process → Completed) and the AWS handlers (signed
 * Function URL → dispatch → task on moto → task events → tick). Everything pushpool printed (stdout,
 * stderr, its loggers, the flow process's output) and every request it made to Prefect and to AWS
 * (recorded before the proxies; `Authorization` and SigV4 headers left out) must hold no canary in
 * any spelling. The API key travels to ECS only as a Secrets Manager reference. (The local flow
 * process gets the credentials in its environment, as it must; that is not checked here.)
 */
import { ListTasksCommand } from "@aws-sdk/client-ecs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LogFields, Logger } from "../../core/ports/logger.ts";
import { loadConfig } from "../../core/runtime/config.ts";
import { makeDispatchHandler } from "../../functions/aws/dispatch.ts";
import { ecsApiFactory } from "../../functions/aws/ecsApi.ts";
import { makeEventsHandler } from "../../functions/aws/events.ts";
import { makeTickHandler } from "../../functions/aws/tick.ts";
import { makeWebhookHandler } from "../../functions/aws/webhook.ts";
import { createRuntime } from "../../functions/aws/wiring.ts";
import { type PrefectServer, startPrefectServer, VENV_BIN } from "../../functions/local/prefectServer.ts";
import { startLocalStack } from "../../functions/local/stack.ts";
import { drain } from "../peers/aws/eventSource.ts";
import { canaryHits, captureStdio, makeCanaries, type StdioCapture } from "../soak/capture.ts";
import { type Proxies, startProxies } from "../soak/proxies.ts";
import type { RecordedRequest } from "../soak/relay.ts";
import { createWorld, REGION, TEST_CREDENTIALS, useMoto, type World } from "../soak/world.ts";
import { authFlowScript, signedFunctionUrlEvent, signedHeaders, taskEvent } from "./secretHygieneKit.ts";

const canaries = makeCanaries();
const recorded: RecordedRequest[] = [];
const lines: string[] = [];
let server: PrefectServer;
let proxies: Proxies;
let world: World;
let capture: StdioCapture;

const lineLogger: Logger = Object.fromEntries(
  (["debug", "info", "warn", "error"] as const).map((level) => [
    level,
    (message: string, fields?: LogFields) =>
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
  ]),
) as unknown as Logger;

beforeAll(async () => {
  const motoEndpoint = inject("motoEndpoint");
  // Its own server (a canary auth string), on the run's database kind (PUSHPOOL_PEER_DB).
  server = await startPrefectServer({
    database: inject("peerDatabase"),
    env: { PREFECT_SERVER_API_AUTH_STRING: canaries.authString },
  });
  useMoto(motoEndpoint);
  world = await createWorld({
    motoEndpoint,
    prefectApiUrl: server.apiUrl,
    prefectAuthString: canaries.authString,
    secrets: { apiKey: canaries.apiKey, authString: canaries.authString },
    deployments: 1,
    visibilityTimeout: 30,
    maxReceiveCount: 3,
  });
  proxies = await startProxies({
    prefectApiUrl: server.apiUrl,
    motoEndpoint,
    seed: 1,
    faults: false,
    onRequest: (r) => recorded.push(r),
  });
  capture = captureStdio({ echo: false });
});

afterAll(async () => {
  capture?.restore();
  await proxies?.stop();
  await server?.stop();
});

describe("secret hygiene", () => {
  it("local stack: signed webhook → process → Completed, with canary credentials", async () => {
    const pool = await world.admin.createWorkPool({ type: "process" });
    const dep = await world.admin.createDeployment({
      flow_name: "hygiene",
      work_pool_name: pool.name,
      job_variables: { command: `sh ${authFlowScript()}` },
    });
    const env: Record<string, string | undefined> = {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
      PREFECT_API_URL: proxies.prefectUrl,
      PREFECT_API_KEY: canaries.apiKey,
      PREFECT_API_AUTH_STRING: canaries.authString,
      PUSHPOOL_CONTAINER_API_URL: server.apiUrl,
      PUSHPOOL_POOLS: pool.name,
      PUSHPOOL_TICK_SECONDS: "1",
    };
    const stack = await startLocalStack({
      config: loadConfig(env),
      env,
      logger: lineLogger,
      autoTick: false,
      webhook: { keys: [{ id: "ci", secret: canaries.webhookSecret, allowJobVariables: [] }] },
      write: (line) => lines.push(line),
    });
    try {
      const body = JSON.stringify({ deployment: `hygiene/${dep.name}` });
      const response = await fetch(stack.webhookUrl ?? "", {
        method: "POST",
        headers: signedHeaders(body, canaries.webhookSecret),
        body,
      });
      expect(response.status).toBe(202);
      const { flowRunId } = (await response.json()) as { flowRunId: string };
      let state: string | undefined;
      for (let i = 0; i < 60 && state !== "COMPLETED"; i++) {
        await new Promise((r) => setTimeout(r, 500));
        state = (await world.admin.client.readFlowRun(flowRunId))?.state?.type;
      }
      expect(state).toBe("COMPLETED");
    } finally {
      await stack.stop();
    }
  });

  it("AWS handlers: webhook → dispatch → moto task → events → tick, with secrets from Secrets Manager", async () => {
    const rt = await createRuntime({
      env: {
        ...process.env,
        PREFECT_API_URL: proxies.prefectUrl,
        PUSHPOOL_PREFECT_API_KEY_SECRET_ARN: world.apiKeySecretArn,
        PUSHPOOL_PREFECT_AUTH_STRING_SECRET_ARN: world.authStringSecretArn,
        PUSHPOOL_WEBHOOK_SECRET: canaries.webhookSecret,
        PUSHPOOL_POOLS: world.pool.name,
        PUSHPOOL_QUEUE_URL: world.dispatch.url,
        PUSHPOOL_ECS_CLUSTERS: world.cluster,
        PUSHPOOL_CONTAINER_API_URL: server.apiUrl,
        PUSHPOOL_START_TIMEOUT_SECONDS: "1",
      },
      ecsApiFor: ecsApiFactory({ endpoint: proxies.ecsUrl, region: REGION, credentials: TEST_CREDENTIALS }),
    });
    expect(rt.config.prefect.apiKey).toBe(canaries.apiKey);
    const get = async () => rt;
    const webhook = makeWebhookHandler(get);
    const runIds: string[] = [];
    for (const key of ["a", "b"]) {
      const body = JSON.stringify({ deployment: world.deployments[0]?.id, idempotencyKey: `hygiene-${key}` });
      const response = await webhook(signedFunctionUrlEvent(body, canaries.webhookSecret));
      expect(response.statusCode).toBe(202);
      runIds.push((JSON.parse(response.body ?? "{}") as { flowRunId: string }).flowRunId);
    }
    expect((await drain(world.sqs, world.dispatch, makeDispatchHandler(get))).failed).toEqual([]);
    const [first, second] = await Promise.all(
      runIds.map(async (id) => {
        const out = await world.ecs.send(
          new ListTasksCommand({ cluster: world.cluster, startedBy: `pushpool/${id}` }),
        );
        return out.taskArns?.[0] ?? "";
      }),
    );
    expect(first && second).toBeTruthy();
    for (const detail of [
      { lastStatus: "PROVISIONING" },
      {
        lastStatus: "STOPPED",
        stopCode: "EssentialContainerExited",
        stoppedReason: "Essential container in task exited",
        containers: [{ name: "prefect", lastStatus: "STOPPED", exitCode: 1 }],
      },
    ])
      await world.sqs.send(
        new SendMessageCommand({
          QueueUrl: world.events.url,
          MessageBody: await taskEvent(world.ecs, world.cluster, first ?? "", detail),
        }),
      );
    expect((await drain(world.sqs, world.events, makeEventsHandler(get))).failed).toEqual([]);
    expect((await world.admin.client.readFlowRun(runIds[0] ?? ""))?.state?.type).toBe("CRASHED");
    const ticked = await makeTickHandler(get)({});
    expect(ticked.ticked[0]?.error).toBeUndefined();

    const ecsCalls = (op: string) => recorded.filter((r) => r.headers["x-amz-target"]?.endsWith(`.${op}`));
    expect(ecsCalls("RunTask").length).toBeGreaterThanOrEqual(2);
    const registered = ecsCalls("RegisterTaskDefinition");
    expect(registered.length).toBeGreaterThanOrEqual(1);
    // The key and auth string travel as references to their secrets, not as values.
    for (const arn of [world.apiKeySecretArn, world.authStringSecretArn])
      expect(registered.some((r) => r.body.includes(arn))).toBe(true);
  });

  it("no canary in any log line or recorded request", () => {
    capture.restore();
    const logs = [capture.text(), ...lines].join("\n");
    const requests = recorded.map((r) => JSON.stringify(r)).join("\n");
    const found = { logs: canaryHits(logs, canaries), requests: canaryHits(requests, canaries) };
    console.info(
      `secret hygiene: ${logs.split("\n").length} log lines, ${recorded.length} requests ` +
        `(${recorded.filter((r) => r.headers["x-amz-target"]).length} to AWS); canary hits ${JSON.stringify(found)}`,
    );
    // The search would see a leak: Basic auth and plain values are both spellings it counts.
    const basic = `Basic ${Buffer.from(canaries.authString).toString("base64")}`;
    const control = canaryHits(`${basic} ${canaries.apiKey} ${canaries.webhookSecret}`, canaries);
    for (const n of Object.values(control)) expect(n).toBeGreaterThan(0);
    expect(logs).toContain("flow run submitted");
    expect(logs).toContain("webhook triggered a flow run");
    expect(recorded.some((r) => r.path.endsWith("/set_state"))).toBe(true);
    expect(found).toEqual({
      logs: { apiKey: 0, authString: 0, webhookSecret: 0 },
      requests: { apiKey: 0, authString: 0, webhookSecret: 0 },
    });
  });
});
