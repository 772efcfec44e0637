/**
 * Pieces of the secret-hygiene test: a flow-run process that authenticates with what it inherits
 * (as a flow container must), an ECS task state change event built from moto's DescribeTasks, and a
 * signed Function URL event.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { signatureHeader, unixSeconds } from "../../core/webhook/signature.ts";

/** A flow process that proposes Running then Completed with the credentials it inherited. */
export function authFlowScript(): string {
  const dir = mkdtempSync(join(tmpdir(), "pushpool-hygiene-"));
  const script = join(dir, "flow.sh");
  writeFileSync(
    script,
    `#!/bin/sh
propose() {
  curl -s -m 20 --retry 3 -u "$PREFECT_API_AUTH_STRING" -X POST -H 'content-type: application/json' \\
    -d "{\\"state\\": {\\"type\\": \\"$1\\", \\"name\\": \\"$2\\"}}" \\
    "$PREFECT_API_URL/flow_runs/$PREFECT__FLOW_RUN_ID/set_state"
}
propose RUNNING Running | grep -q ACCEPT || exit 3
propose COMPLETED Completed | grep -q ACCEPT || exit 4
`,
  );
  return script;
}

/** An EventBridge "ECS Task State Change" event for a moto task, as the events queue carries it. */
export async function taskEvent(
  ecs: ECSClient,
  cluster: string,
  taskArn: string,
  detail: Record<string, unknown>,
): Promise<string> {
  const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
  const task = JSON.parse(JSON.stringify(tasks?.[0] ?? {})) as Record<string, unknown>;
  return JSON.stringify({
    version: "0",
    id: `hygiene-${Date.now()}`,
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    account: "123456789012",
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: [taskArn],
    detail: { ...task, ...detail },
  });
}

export function signedFunctionUrlEvent(body: string, secret: string): APIGatewayProxyEventV2 {
  const ts = unixSeconds(new Date());
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/trigger",
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      "x-pushpool-timestamp": String(ts),
      "x-pushpool-signature": signatureHeader(secret, ts, body),
    },
    body,
    isBase64Encoded: false,
    requestContext: {
      http: {
        method: "POST",
        path: "/trigger",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "ci",
      },
    },
  } as unknown as APIGatewayProxyEventV2;
}

export function signedHeaders(body: string, secret: string): Record<string, string> {
  const ts = unixSeconds(new Date());
  return {
    "content-type": "application/json",
    "x-pushpool-timestamp": String(ts),
    "x-pushpool-signature": signatureHeader(secret, ts, body),
  };
}
