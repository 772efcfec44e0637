/**
 * The webhook handler behind a Function URL (functions/aws/webhook.ts), with every secret read at
 * cold start from moto: webhook keys and the Prefect API key from Secrets Manager, the auth string
 * from SSM (functions/aws/secrets.ts). The API key reaches the container as an ECS secret reference.
 */
import { DescribeTaskDefinitionCommand, DescribeTasksCommand } from "@aws-sdk/client-ecs";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment, WorkPool } from "../../../core/prefect/types.ts";
import { signatureHeader, unixSeconds } from "../../../core/webhook/signature.ts";
import { makeDispatchHandler } from "../../../functions/aws/dispatch.ts";
import { makeWebhookHandler } from "../../../functions/aws/webhook.ts";
import type { AwsRuntime } from "../../../functions/aws/wiring.ts";
import { type AwsPeers, REGION, setupAwsPeers } from "./awsPeers.ts";
import { drain } from "./eventSource.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import { captureOutput, tasksOf, testRuntime } from "./runtime.ts";

const WEBHOOK_SECRET = "whsec-pushpool-test-9d41c7a2e6b3f805";
const API_KEY = "pnu_fromSecretsManager4b7e1d9c";
const AUTH_STRING = "admin:from-ssm-6c2f8a1e3d5b";

let peers: AwsPeers;
let pool: WorkPool;
let deployment: Deployment;
let rt: AwsRuntime;
let apiKeyArn: string;
const output = captureOutput();

beforeAll(async () => {
  peers = await setupAwsPeers("webhook");
  ({ pool, deployment } = await ecsPoolWithDeployment(peers));
  const sm = new SecretsManagerClient({ region: REGION });
  const keys = JSON.stringify([{ id: "ci", secret: WEBHOOK_SECRET, allowJobVariables: ["env"] }]);
  const webhookArn = (
    await sm.send(new CreateSecretCommand({ Name: `${peers.prefix}/webhook`, SecretString: keys }))
  ).ARN as string;
  apiKeyArn = (
    await sm.send(new CreateSecretCommand({ Name: `${peers.prefix}/api-key`, SecretString: API_KEY }))
  ).ARN as string;
  const ssm = new SSMClient({ region: REGION });
  const parameter = `/${peers.prefix}/auth-string`;
  await ssm.send(new PutParameterCommand({ Name: parameter, Value: AUTH_STRING, Type: "SecureString" }));
  rt = await testRuntime(peers, pool.name, {
    extraEnv: {
      PREFECT_API_KEY: "",
      PREFECT_API_AUTH_STRING: "",
      PUSHPOOL_WEBHOOK_KEYS_SECRET_ARN: webhookArn,
      PUSHPOOL_PREFECT_API_KEY_SECRET_ARN: apiKeyArn,
      PUSHPOOL_PREFECT_AUTH_STRING_SSM_PARAMETER: parameter,
    },
  });
});
afterAll(() => output.restore());

function functionUrlEvent(
  body: string,
  headers: Record<string, string>,
  path = "/trigger",
): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers,
    body: Buffer.from(body).toString("base64"),
    isBase64Encoded: true,
    requestContext: {
      accountId: "123456789012",
      apiId: "url-id",
      domainName: "x.lambda-url.us-east-1.on.aws",
      domainPrefix: "x",
      http: { method: "POST", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "r",
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: 0,
    },
  };
}

function signed(body: string, secret = WEBHOOK_SECRET): Record<string, string> {
  const ts = unixSeconds(new Date());
  return {
    "Content-Type": "application/json",
    "X-Pushpool-Timestamp": String(ts),
    "X-Pushpool-Signature": signatureHeader(secret, ts, body),
  };
}

describe("webhook handler (Function URL) with secrets from Secrets Manager and SSM", () => {
  it("reads every secret at cold start", () => {
    expect(rt.config.prefect.apiKey).toBe(API_KEY);
    expect(rt.config.prefect.authString).toBe(AUTH_STRING);
    expect(rt.env.PUSHPOOL_WEBHOOK_KEYS).toContain('"id":"ci"');
  });

  it("a signed base64 request creates the run and enqueues its dispatch; the container gets the key by reference", async () => {
    const webhook = makeWebhookHandler(async () => rt);
    const body = JSON.stringify({ deployment: deployment.id, jobVariables: { env: { FROM: "ci" } } });
    const response = await webhook(functionUrlEvent(body, signed(body)));
    expect(response.statusCode).toBe(202);
    const { flowRunId, created } = JSON.parse(response.body ?? "{}");
    expect(created).toBe(true);

    const polled = await drain(
      peers.sqs,
      peers.dispatch,
      makeDispatchHandler(async () => rt),
    );
    expect(polled).toMatchObject({ received: 1, failed: [] });
    const arns = await tasksOf(peers, flowRunId);
    expect(arns).toHaveLength(1);
    const { tasks } = await peers.ecs.send(new DescribeTasksCommand({ cluster: peers.cluster, tasks: arns }));
    const env = tasks?.[0]?.overrides?.containerOverrides?.[0]?.environment ?? [];
    expect(env).toContainEqual({ name: "FROM", value: "ci" });
    expect(env.map((e) => e.name)).not.toContain("PREFECT_API_KEY");
    const { taskDefinition } = await peers.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: tasks?.[0]?.taskDefinitionArn }),
    );
    expect(taskDefinition?.containerDefinitions?.[0]?.secrets).toContainEqual({
      name: "PREFECT_API_KEY",
      valueFrom: apiKeyArn,
    });
  });

  it("answers 401 for a bad signature, 403 for a forbidden job variable, 400 for a non-URL event", async () => {
    const webhook = makeWebhookHandler(async () => rt);
    const body = JSON.stringify({ deployment: deployment.id });
    const forged = await webhook(functionUrlEvent(body, signed(body, "not-the-secret-0123456789")));
    expect(forged.statusCode).toBe(401);
    const image = JSON.stringify({ deployment: deployment.id, jobVariables: { image: "evil:latest" } });
    expect((await webhook(functionUrlEvent(image, signed(image)))).statusCode).toBe(403);
    const notUrl = await webhook({ body } as unknown as APIGatewayProxyEventV2);
    expect(notUrl.statusCode).toBe(400);
  });

  it("answers 503 when no webhook key is configured; no secret ever reaches the logs", async () => {
    const bare = await testRuntime(peers, pool.name, { extraEnv: { PUSHPOOL_WEBHOOK_SECRET: "" } });
    const response = await makeWebhookHandler(async () => bare)(functionUrlEvent("{}", {}));
    expect(response.statusCode).toBe(503);
    const logs = output.text();
    expect(logs).toContain("webhook triggered a flow run");
    expect(logs).toContain("webhook is not configured");
    for (const secret of [WEBHOOK_SECRET, API_KEY, AUTH_STRING]) expect(logs).not.toContain(secret);
  });
});
