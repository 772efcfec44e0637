/**
 * A recorded CreateCustomJob as the message Vertex receives, so that a request sent over gRPC
 * (Prefect's worker, Python protobuf) and one sent over REST (pushpool, proto3 JSON) compare field
 * by field. Both are proto3 JSON; then, as proto3 itself does for a field without presence (not
 * `optional`, not in a oneof), a scalar holding its default (`false`, `0`, `""`, the enum's zero
 * value) and an empty repeated or map field are dropped: on the wire such a field is not sent at
 * all, so `enableWebAccess: false` over REST and an absent field over gRPC are the same message.
 * Message fields keep their presence (an empty message is not an absent one).
 */
import gax from "google-gax";
import { toRest, vertexType } from "../../../functions/gcp/vertexProtoJson.ts";

type Json = Record<string, unknown>;
type Type = InstanceType<typeof gax.protobuf.Type>;
type Field = InstanceType<typeof gax.protobuf.Field>;
type Enum = InstanceType<typeof gax.protobuf.Enum>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function isDefault(field: Field, value: unknown): boolean {
  if (field.partOf) return false; // `optional` or oneof: presence is tracked
  if (field.repeated) return Array.isArray(value) && value.length === 0;
  if (field.map) return isObject(value) && Object.keys(value).length === 0;
  const resolved = field.resolvedType;
  if (resolved instanceof gax.protobuf.Enum) {
    const zero = Object.entries((resolved as Enum).values).find(([, n]) => n === 0)?.[0];
    return value === zero || value === 0;
  }
  if (resolved) return false; // a message
  return value === false || value === 0 || value === "" || value === "0";
}

function canonical(type: Type, json: Json): Json {
  type.resolveAll();
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key];
    if (!field) {
      out[key] = value; // not a field of the type: kept, so that the comparison sees it
      continue;
    }
    if (isDefault(field, value)) continue;
    const resolved = field.resolvedType;
    const sub = resolved instanceof gax.protobuf.Type && !field.map ? resolved : null;
    if (sub && field.repeated && Array.isArray(value))
      out[key] = value.map((v) => (isObject(v) ? canonical(sub, v) : v));
    else if (sub && isObject(value)) out[key] = canonical(sub, value);
    else out[key] = value;
  }
  return out;
}

/** A CustomJob (proto3 JSON, or a proto object as grpc-js decodes it) as Vertex receives it. */
export function receivedCustomJob(customJob: unknown): Json {
  return canonical(vertexType("CustomJob"), toRest<Json>("CustomJob", customJob));
}
