/**
 * @module
 * Vertex AI's REST/JSON shapes against `@google-cloud/aiplatform`'s own protos (`protos.json`,
 * loaded on first use: 1.35 MB, only the Vertex path pays for it): `toSdk`/`toRest` convert between
 * proto3 JSON and the objects the SDK's client takes and returns, and `unknownVertexFields` finds
 * what Google would refuse with 400 "Unknown name" (the SDK's serializer silently drops such
 * fields). The walk itself is the Cloud Run one (./protoJson.ts).
 */
import { createRequire } from "node:module";
import gax from "google-gax";
import { unknownFields } from "./protoJson.ts";

type Root = InstanceType<typeof gax.protobuf.Root>;
type Type = InstanceType<typeof gax.protobuf.Type>;

const require = createRequire(import.meta.url);
const PACKAGE = "google.cloud.aiplatform.v1";
let root: Root | null = null;

export function vertexType(name: string): Type {
  root ??= gax.protobuf.Root.fromJSON(require("@google-cloud/aiplatform/build/protos/protos.json"));
  return root.lookupType(`${PACKAGE}.${name}`);
}

/** Paths of JSON keys `google.cloud.aiplatform.v1.<typeName>` does not have. */
export function unknownVertexFields(typeName: string, json: unknown): string[] {
  return unknownFields(vertexType(typeName), json);
}

/** proto3 JSON → the plain object an SDK call takes. Throws on a value the proto cannot hold. */
export function toSdk(typeName: string, json: unknown): Record<string, unknown> {
  const type = vertexType(typeName);
  const message = gax.serializer.fromProto3JSON(type, json as never);
  if (!message) throw new Error(`not a ${typeName}`);
  return type.toObject(message, { longs: String, enums: String }) as Record<string, unknown>;
}

/** An SDK object → proto3 JSON, as REST answers it. */
export function toRest<T>(typeName: string, object: unknown): T {
  const type = vertexType(typeName);
  const message = object instanceof type.ctor ? object : type.fromObject(object as Record<string, unknown>);
  return gax.serializer.toProto3JSON(message as never) as T;
}
