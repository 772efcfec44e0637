/**
 * The Azure runtime's wiring without peers: the settings it reads (all listed in
 * functions/azure/env.ts), precise errors for the missing ones, no secret in `{{ $VAR }}` reach or
 * in a log line, the default subscription, and the HTTP request mapping of the webhook.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HttpRequest } from "@azure/functions";
import { describe, expect, it } from "vitest";
import type { JobConfiguration } from "../../../core/job/types.ts";
import type { Backend } from "../../../core/ports/backend.ts";
import { ConfigError } from "../../../core/shared/errors.ts";
import { withDefaultSubscription } from "../../../functions/azure/defaultSubscription.ts";
import { makeDispatchHandler } from "../../../functions/azure/dispatch.ts";
import { AZURE_COMMON_ENV, AZURE_FUNCTION_ENV } from "../../../functions/azure/env.ts";
import { makeWebhookHandler, webhookRequest } from "../../../functions/azure/webhook.ts";
import { createRuntime } from "../../../functions/azure/wiring.ts";

const SECRET = "pnu_wiringTestSecret9f8e7d6c";
const base = { PREFECT_API_URL: "http://127.0.0.1:9/api", PUSHPOOL_POOLS: "aci", PREFECT_API_KEY: SECRET };
const dispatch = {
  v: 1,
  kind: "dispatch",
  flowRunId: "7f0c6f0e-3a8e-4a52-9d3c-0a5b2f4e9c11",
  pool: "aci",
  source: "t",
} as const;

describe("Azure wiring", () => {
  it("serves azure-container-instance pools; the queue's missing settings are precise ConfigErrors", async () => {
    const rt = await createRuntime({ env: base });
    expect([...rt.deps.backends.keys()]).toEqual(["azure-container-instance"]);
    expect(rt.deps.queue.maxDelaySeconds).toBe(604_800);
    const noName = rt.deps.queue.send(dispatch);
    await expect(noName).rejects.toBeInstanceOf(ConfigError);
    await expect(noName).rejects.toThrow(/PUSHPOOL_QUEUE_NAME is not set/);
    const noUri = (
      await createRuntime({ env: { ...base, PUSHPOOL_QUEUE_NAME: "dispatch" } })
    ).deps.queue.send(dispatch);
    await expect(noUri).rejects.toThrow(/AzureWebJobsStorage__queueServiceUri is not set/);
  });

  it("placeholders cannot read secrets, and the logger masks them", async () => {
    const lines: string[] = [];
    const rt = await createRuntime({
      env: {
        ...base,
        AZURE_CLIENT_SECRET: "sp-secret-value-123",
        PUSHPOOL_WEBHOOK_SECRET: "whsec-0123456789abcdef",
      },
      logWrite: (_level, line) => lines.push(line),
    });
    expect(rt.deps.processEnv.PREFECT_API_KEY).toBeUndefined();
    expect(rt.deps.processEnv.AZURE_CLIENT_SECRET).toBeUndefined();
    expect(rt.deps.processEnv.PUSHPOOL_WEBHOOK_SECRET).toBeUndefined();
    expect(rt.deps.processEnv.PUSHPOOL_POOLS).toBe("aci");
    rt.logger.info(`key ${SECRET}`, { note: `whsec-0123456789abcdef and ${SECRET}` });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain("whsec-0123456789abcdef");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      level: "info",
      message: "key ***",
      note: "*** and ***",
    });
  });

  it("PUSHPOOL_AZURE_SUBSCRIPTION_ID fills a job configuration without one, and only that", () => {
    const seen: unknown[] = [];
    const fake = {
      type: "azure-container-instance",
      prepare: (config: JobConfiguration) => seen.push(config.subscription_id),
      inspect: async (_pid: string, config: JobConfiguration) => seen.push(config.subscription_id),
    } as unknown as Backend;
    const wrapped = withDefaultSubscription(fake, "sub-default");
    const config = (subscription_id: unknown) =>
      ({ command: null, env: {}, labels: {}, name: null, subscription_id }) as JobConfiguration;
    wrapped.prepare(config(undefined), {} as never);
    wrapped.prepare(config(""), {} as never);
    wrapped.prepare(config("sub-own"), {} as never);
    void wrapped.inspect("pid", config(null), {} as never);
    expect(seen).toEqual(["sub-default", "sub-default", "sub-own", "sub-default"]);
    expect(wrapped.type).toBe("azure-container-instance");
    expect(withDefaultSubscription(fake, undefined)).toBe(fake);
  });

  it("the webhook sees the route's path, lower-case headers and the raw body bytes", async () => {
    const request = await webhookRequest(
      new HttpRequest({
        method: "POST",
        url: "https://app.azurewebsites.net/api/trigger?x=1",
        headers: { "X-Pushpool-Signature": "v1=abc" },
        body: { string: '{"deployment":"a/b"}' },
      }),
    );
    expect(request).toMatchObject({
      method: "POST",
      path: "/trigger",
      headers: { "x-pushpool-signature": "v1=abc" },
    });
    expect(Buffer.from(request.body).toString("utf8")).toBe('{"deployment":"a/b"}');
  });

  it("every setting functions/azure reads by name is one env.ts lists", () => {
    const dir = join(import.meta.dirname, "..", "..", "..", "functions", "azure");
    const listed = new Set<string>([...AZURE_COMMON_ENV, ...Object.values(AZURE_FUNCTION_ENV).flat()]);
    const read = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "env.ts")) {
      const text = readFileSync(join(dir, file), "utf8");
      for (const m of text.matchAll(/env\.([A-Z][A-Za-z0-9_]*)/g)) read.add(m[1] ?? "");
    }
    expect(read.size).toBeGreaterThan(3);
    expect([...read].filter((name) => !listed.has(name))).toEqual([]);
  });

  it("no webhook key → 503 with the reason logged; a queue entry that is not text is dropped, not retried", async () => {
    const lines: string[] = [];
    const rt = await createRuntime({ env: base, logWrite: (_level, line) => lines.push(line) });
    const response = await makeWebhookHandler(async () => rt)(
      new HttpRequest({
        method: "POST",
        url: "https://app.azurewebsites.net/api/trigger",
        body: { string: "{}" },
      }),
    );
    expect(response.status).toBe(503);
    expect(JSON.parse(String(response.body))).toEqual({
      error: "not_configured",
      message: "the webhook has no key configured",
    });
    expect(lines.join("\n")).toContain("webhook is not configured");
    const dispatch = makeDispatchHandler(async () => rt);
    await expect(
      dispatch(42, { invocationId: "i", triggerMetadata: { dequeueCount: 1, id: "m" } } as never),
    ).resolves.toBeUndefined();
    expect(lines.join("\n")).toContain("queue message is not text or JSON (got number)");
  });
});
