/**
 * The gRPC face of the Vertex AI JobService fake (./vertexFake.ts): the same state and the same
 * operations, served with `@grpc/grpc-js` from aiplatform's own `protos.json` (the service
 * definition Google's gRPC clients are generated from), bound insecure on 127.0.0.1. For clients
 * that only speak gRPC — Prefect's worker uses the Python `JobServiceAsyncClient` (grpc_asyncio) —
 * and for the Node client without `fallback`. Messages cross as proto objects and are converted to
 * and from the fake's proto3 JSON; the fake's HTTP errors become their gRPC status codes.
 */
import { createRequire } from "node:module";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import gax from "google-gax";
import { GRPC } from "../../../core/backends/cloud-run-v2/port.ts";
import { vertexType } from "../../../functions/gcp/vertexProtoJson.ts";
import { HttpError } from "./cloudRunWire.ts";
import type { VertexFake } from "./vertexFake.ts";

type Json = Record<string, unknown>;
const require = createRequire(import.meta.url);
const OPTIONS = { longs: String, enums: String, defaults: false, oneofs: true } as const;

/** A proto object (as grpc-js decodes it) → proto3 JSON. */
function toJson(typeName: string, object: unknown): Json {
  const type = vertexType(typeName);
  return gax.serializer.toProto3JSON(type.fromObject(object as Json) as never) as Json;
}

/** proto3 JSON → a proto object grpc-js can encode. */
function fromJson(typeName: string, json: Json): Json {
  const type = vertexType(typeName);
  const message = gax.serializer.fromProto3JSON(type, json as never);
  return type.toObject(message as never, OPTIONS) as Json;
}

function status(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof HttpError) {
    const code = (GRPC as Record<string, number>)[error.status] ?? grpc.status.UNKNOWN;
    return { code, details: error.message };
  }
  return { code: grpc.status.INTERNAL, details: String(error) };
}

export interface VertexGrpcServer {
  port: number;
  stop(): Promise<void>;
}

/** Serves `fake` over gRPC; every call is recorded in `fake.requests` with method `GRPC`. */
export async function serveVertexGrpc(fake: VertexFake): Promise<VertexGrpcServer> {
  const definition = protoLoader.fromJSON(
    require("@google-cloud/aiplatform/build/protos/protos.json"),
    OPTIONS,
  );
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { aiplatform: { v1: { JobService: { service: grpc.ServiceDefinition } } } } };
  };
  const unary =
    (name: string, run: (request: Json) => Json | "cut" | HttpError) =>
    (call: grpc.ServerUnaryCall<Json, Json>, callback: grpc.sendUnaryData<Json>) => {
      try {
        fake.requests.push({ method: "GRPC", path: name, query: "", body: call.request });
        const answer = run(call.request);
        if (answer === "cut") throw new HttpError(503, "UNAVAILABLE", "connection reset");
        if (answer instanceof HttpError) throw answer;
        callback(null, answer);
      } catch (error) {
        callback(status(error));
      }
    };
  const server = new grpc.Server();
  server.addService(loaded.google.cloud.aiplatform.v1.JobService.service, {
    CreateCustomJob: unary("CreateCustomJob", (r) => {
      const created = fake.create(String(r.parent), toJson("CustomJob", r.customJob));
      return typeof created === "object" && !(created instanceof HttpError)
        ? fromJson("CustomJob", created)
        : created;
    }),
    GetCustomJob: unary("GetCustomJob", (r) => fromJson("CustomJob", fake.get(String(r.name)))),
    ListCustomJobs: unary("ListCustomJobs", (r) => {
      const list = fake.list(String(r.parent), String(r.filter ?? ""));
      return {
        customJobs: ((list.customJobs as Json[] | undefined) ?? []).map((j) => fromJson("CustomJob", j)),
      };
    }),
    CancelCustomJob: unary("CancelCustomJob", (r) => fake.cancel(String(r.name))),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
