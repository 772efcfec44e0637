/**
 * @module
 * A recording reverse proxy in front of moto, one per benchmark side: each side's AWS clients (the
 * SDK v3 clients of pushpool's handlers, boto3 in Prefect's worker) get `AWS_ENDPOINT_URL` = the
 * proxy, so both sides' ECS calls are timed by the same clock at the same place. For every ECS
 * request (awsJson1_1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`) it records the
 * operation, the epoch ms at which the request arrived and at which the answer was sent, the status
 * and, for RunTask, the flow run (the `PREFECT__FLOW_RUN_ID` container override both sides set);
 * for RegisterTaskDefinition, the family. Other services (SQS, EC2) are forwarded and only counted.
 * Bodies are piped unchanged (moto does not check SigV4 signatures); hop-by-hop headers are not
 * passed on ({@link endToEnd}). Cost: one loopback hop.
 */
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";

export interface AwsCall {
  /** ECS operation, e.g. `RunTask`; `other` for any non-ECS request. */
  op: string;
  /** Epoch ms when the request reached the proxy. */
  at: number;
  /** Epoch ms when the answer was passed back. */
  end: number;
  status: number;
  /** RunTask: the flow run id from the container overrides. */
  flowRunId?: string;
  /** RegisterTaskDefinition: the family; RunTask: the task definition it starts. */
  family?: string;
  taskDefinition?: string;
}

export interface AwsProxy {
  endpoint: string;
  calls: AwsCall[];
  /** Non-ECS requests forwarded (SQS, EC2…). */
  otherRequests(): number;
  close(): Promise<void>;
}

const ECS_TARGET = "AmazonEC2ContainerServiceV20141113.";

export async function startAwsProxy(upstream: string): Promise<AwsProxy> {
  const up = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const calls: AwsCall[] = [];
  let others = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const target = String(req.headers["x-amz-target"] ?? "");
    const op = target.startsWith(ECS_TARGET) ? target.slice(ECS_TARGET.length) : "other";
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const call: AwsCall = { op, at, end: Number.NaN, status: 0 };
      if (op === "RunTask") {
        call.flowRunId = flowRunIdOf(body);
        const td = parse(body)?.taskDefinition;
        if (typeof td === "string") call.taskDefinition = td.slice(td.lastIndexOf("/") + 1);
      }
      if (op === "RegisterTaskDefinition") call.family = familyOf(body);
      const headers = { ...req.headers, host: up.host, "content-length": String(body.length) };
      delete headers["transfer-encoding"];
      const fwd = request(
        {
          host: up.hostname,
          port: up.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (answer) => {
          call.status = answer.statusCode ?? 0;
          res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
          answer.pipe(res);
          answer.on("end", () => {
            call.end = Date.now();
            if (op === "other") others++;
            else calls.push(call);
          });
        },
      );
      fwd.on("error", (error) => {
        call.end = Date.now();
        call.status = 502;
        if (op !== "other") calls.push(call);
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(String(error));
      });
      fwd.end(body);
    });
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    otherRequests: () => others,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => ok());
      }),
  };
}

/**
 * The answer's headers without the hop-by-hop ones (RFC 9110 §7.6.1), as a proxy must send them:
 * moto answers every request `Connection: close`, which passed on would make each client open a
 * new connection per call — which AWS's endpoints, which keep connections alive, do not.
 */
export function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  const named = String(headers.connection ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const h of [...HOP_BY_HOP, ...named]) delete out[h];
  return out;
}

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
];

function parse(body: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(body.toString("utf8")) as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `overrides.containerOverrides[].environment[PREFECT__FLOW_RUN_ID]` of a RunTask body. */
export function flowRunIdOf(body: Buffer): string | undefined {
  const overrides = parse(body)?.overrides as
    | { containerOverrides?: { environment?: { name?: string; value?: string }[] }[] }
    | undefined;
  for (const c of overrides?.containerOverrides ?? [])
    for (const e of c.environment ?? []) if (e.name === "PREFECT__FLOW_RUN_ID" && e.value) return e.value;
  return undefined;
}

function familyOf(body: Buffer): string | undefined {
  const family = parse(body)?.family;
  return typeof family === "string" ? family : undefined;
}
