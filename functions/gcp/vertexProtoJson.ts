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

/**
 * Paths (with the value) of enum fields whose JSON value names no value of the enum. The SDK's
 * serializer would send such a value as 0 (UNSPECIFIED); Google refuses the name with 400.
 */
export function badEnumValues(typeName: string, json: unknown): string[] {
  const out: string[] = [];
  const walk = (type: Type, value: unknown, at: string) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const [key, item] of Object.entries(value)) {
      const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const field = type.fields[key] ?? type.fields[camel];
      if (!field) continue;
      field.resolve();
      const sub = field.resolvedType;
      const items = field.repeated && Array.isArray(item) ? item : [item];
      const path = at ? `${at}.${key}` : key;
      if (sub instanceof gax.protobuf.Enum) {
        for (const v of items)
          if (!(typeof v === "number" || (typeof v === "string" && Object.hasOwn(sub.values, v))))
            out.push(`${path} (${JSON.stringify(v)})`);
      } else if (
        sub instanceof gax.protobuf.Type &&
        !field.map &&
        !/^\.?google\.protobuf\./.test(sub.fullName)
      )
        for (const v of items) walk(sub, v, path);
    }
  };
  walk(vertexType(typeName), json, "");
  return out;
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
