/**
 * @module
 * What a webhook request must be before anything is triggered: its body's size, content type, JSON
 * (parsed exactly: integers beyond 2^53, floats and key order as the caller wrote them) and schema,
 * and which job variables it may override. Each failure is a {@link WebhookRejection}.
 */
import { z } from "zod";
import { DeploymentRef, formatIssues } from "../runtime/messages.ts";
import { WebhookError } from "../shared/errors.ts";
import { parseJson } from "../template/pyFloat.ts";

/** Largest accepted body, in bytes (256 KiB). */
export const MAX_BODY_BYTES = 256 * 1024;

/** What a caller POSTs to `/trigger`. */
export const WebhookBody = z.strictObject({
  deployment: DeploymentRef,
  parameters: z.record(z.string(), z.unknown()).optional(),
  jobVariables: z.record(z.string(), z.unknown()).optional(),
  idempotencyKey: z.string().min(1).max(500).optional(),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
});
export type WebhookBody = z.infer<typeof WebhookBody>;

/** A rejected request: HTTP status, stable error code, human message. */
export class WebhookRejection extends WebhookError {
  constructor(
    status: WebhookError["status"],
    readonly code: string,
    message: string,
  ) {
    super(status, message);
  }
}

export function checkContentType(value: string | undefined): void {
  const [type = "", ...params] = (value ?? "").split(";").map((s) => s.trim().toLowerCase());
  const isJson = type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
  const charset = params
    .find((p) => p.startsWith("charset="))
    ?.slice(8)
    .replace(/"/g, "");
  if (!isJson || (charset !== undefined && charset !== "utf-8" && charset !== "utf8")) {
    throw new WebhookRejection(
      415,
      "unsupported_media_type",
      `Content-Type must be application/json (UTF-8), got ${value ? `'${value.slice(0, 100)}'` : "none"}`,
    );
  }
}

export function parseBody(raw: Uint8Array | string): WebhookBody {
  let text: string;
  let data: unknown;
  try {
    text = typeof raw === "string" ? raw : new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new WebhookRejection(400, "invalid_json", "body is not valid UTF-8");
  }
  try {
    data = parseJson(text);
  } catch (error) {
    throw new WebhookRejection(400, "invalid_json", `body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = WebhookBody.safeParse(data);
  if (!parsed.success) throw new WebhookRejection(422, "invalid_body", formatIssues(parsed.error));
  return parsed.data;
}

/**
 * The top-level job variables a caller tries to override that the key does not allow. Dotted keys
 * count as their first segment: `env.FOO` overrides `env`. Sorted, deduplicated, names shortened.
 */
export function forbiddenJobVariables(
  jobVariables: Record<string, unknown> | undefined,
  allowed: readonly string[],
): string[] {
  const out = new Set<string>();
  for (const name of Object.keys(jobVariables ?? {})) {
    const top = name.split(".")[0] ?? "";
    if (!allowed.includes(top)) out.add(JSON.stringify(top.slice(0, 64)));
  }
  return [...out].sort().slice(0, 20);
}
