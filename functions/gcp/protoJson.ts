/**
 * @module
 * Cloud Run v2's REST/JSON shapes against the SDK's own protos (`@google-cloud/run`'s
 * `protos.json`): `unknownFields` finds what Google would refuse with 400 "Unknown name" (the
 * SDK's JSON serializer silently drops such fields, so a typo in a `job_body` would otherwise
 * vanish instead of failing as it does for Prefect's worker), and `toSdk`/`toRest` convert
 * between proto3 JSON and the objects the SDK's clients take and return.
 */
import { createRequire } from "node:module";
import gax from "google-gax";

type Root = InstanceType<typeof gax.protobuf.Root>;
type Type = InstanceType<typeof gax.protobuf.Type>;
type Field = InstanceType<typeof gax.protobuf.Field>;

const require = createRequire(import.meta.url);
let root: Root | null = null;

/** The Cloud Run protos (loaded once). */
export function runProtos(): Root {
  root ??= gax.protobuf.Root.fromJSON(require("@google-cloud/run/build/protos/protos.json"));
  return root;
}

export function runType(name: string): Type {
  return runProtos().lookupType(name);
}

/** Well-known types with their own JSON forms (`"600s"`, RFC 3339, any JSON): not walked. */
const OPAQUE = /^\.?google\.protobuf\./;

function fieldOf(type: Type, key: string): Field | null {
  const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return type.fields[key] ?? type.fields[camel] ?? null;
}

/** Paths (`job.template.bogus`) of JSON keys `type` does not have, recursively. */
export function unknownFields(type: Type, json: unknown, path = ""): string[] {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(json)) {
    const at = path ? `${path}.${key}` : key;
    const field = fieldOf(type, key);
    if (!field) {
      out.push(at);
      continue;
    }
    field.resolve();
    const sub = field.resolvedType;
    if (!(sub instanceof gax.protobuf.Type) || OPAQUE.test(sub.fullName)) continue;
    if (field.map) {
      if (typeof value === "object" && value !== null)
        for (const [k, v] of Object.entries(value)) out.push(...unknownFields(sub, v, `${at}[${k}]`));
    } else if (field.repeated) {
      if (Array.isArray(value))
        for (const [i, v] of value.entries()) out.push(...unknownFields(sub, v, `${at}[${i}]`));
    } else out.push(...unknownFields(sub, value, at));
  }
  return out;
}

/** proto3 JSON → the plain object an SDK call takes (durations as {seconds}, enums by name). */
export function toSdk(typeName: string, json: unknown): Record<string, unknown> {
  const type = runType(typeName);
  const message = gax.serializer.fromProto3JSON(type, json as never);
  if (!message) throw new Error(`not a ${typeName}`);
  return type.toObject(message, { longs: String, enums: String }) as Record<string, unknown>;
}

/** An SDK object (a decoded message or its plain form) → proto3 JSON, as REST answers it. */
export function toRest<T>(typeName: string, object: unknown): T {
  const type = runType(typeName);
  const message = object instanceof type.ctor ? object : type.fromObject(object as Record<string, unknown>);
  return gax.serializer.toProto3JSON(message as never) as T;
}
