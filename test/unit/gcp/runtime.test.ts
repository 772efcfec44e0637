/**
 * The GCP runtime's pure pieces: the Cloud Logging logger (severity, level, redaction), the Secret
 * Manager reference of the API key, the production queue's refusal until the adapters are wired,
 * the cron firing → trigger message, and the lazily loaded Cloud Run port.
 */
import type { Request } from "@google-cloud/functions-framework";
import { describe, expect, it } from "vitest";
import { secretSettingValues } from "../../../core/runtime/secretEnv.ts";
import { ConfigError } from "../../../core/shared/errors.ts";
import { cronMessage } from "../../../functions/gcp/cron.ts";
import { lazyCloudRunApiFactory } from "../../../functions/gcp/lazyCloudRun.ts";
import { functionLogger } from "../../../functions/gcp/logger.ts";
import { productionDeadLetter, productionQueue } from "../../../functions/gcp/queueFactory.ts";
import { createRuntime, secretRef } from "../../../functions/gcp/wiring.ts";
import { renderCloudRun } from "../cloud-run-v2/render.ts";

describe("functionLogger", () => {
  it("writes one JSON line per entry with Cloud Logging's severity, at or above its level", () => {
    const lines: string[] = [];
    const log = functionLogger([], { write: (l) => lines.push(l), level: "info", service: "dispatch" });
    log.debug("hidden");
    log.info("hello", { flowRunId: "r1" });
    log.warn("careful");
    log.error("bad");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        flowRunId: "r1",
        severity: "INFO",
        message: "hello",
        "logging.googleapis.com/labels": { service: "dispatch" },
      },
      { severity: "WARNING", message: "careful", "logging.googleapis.com/labels": { service: "dispatch" } },
      { severity: "ERROR", message: "bad", "logging.googleapis.com/labels": { service: "dispatch" } },
    ]);
  });

  it("never prints a configured secret or a credential-looking field; a field JSON cannot hold is no crash", () => {
    const env = {
      PREFECT_API_KEY: "pnu_unit-secret-key-1234",
      PUSHPOOL_WEBHOOK_KEYS: JSON.stringify([{ id: "ci", secret: "whsec-unit-0123456789abcdef" }]),
    };
    const lines: string[] = [];
    const log = functionLogger(secretSettingValues(env), { write: (l) => lines.push(l), level: "debug" });
    log.error("failed with pnu_unit-secret-key-1234", {
      token: "abc",
      detail: "whsec-unit-0123456789abcdef",
      n: 1n,
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.info("cyclic", { cyclic });
    const text = lines.join("\n");
    expect(text).not.toContain("pnu_unit-secret-key-1234");
    expect(text).not.toContain("whsec-unit-0123456789abcdef");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ token: "***", n: "1", severity: "ERROR" });
    expect(lines).toHaveLength(2);
  });
});

describe("secretRef (PUSHPOOL_PREFECT_API_KEY_SECRET)", () => {
  it("takes a full resource name, with or without a version, or a short name", () => {
    expect(secretRef("projects/p/secrets/key", "X")).toEqual({
      secret: "projects/p/secrets/key",
      version: "latest",
    });
    expect(secretRef("projects/p/secrets/key/versions/3", "X")).toEqual({
      secret: "projects/p/secrets/key",
      version: "3",
    });
    expect(secretRef("key:7", "X")).toEqual({ secret: "key", version: "7" });
    expect(secretRef(" ", "X")).toBeUndefined();
  });
  it("refuses anything else with a ConfigError naming the variable", () => {
    expect(() => secretRef("projects/p/keys/k", "PUSHPOOL_PREFECT_API_KEY_SECRET")).toThrow(
      /PUSHPOOL_PREFECT_API_KEY_SECRET must be a Secret Manager secret/,
    );
  });
});

describe("createRuntime", () => {
  const env = { PREFECT_API_URL: "http://127.0.0.1:4200/api", PUSHPOOL_POOLS: "gcp" };
  it("serves cloud-run-v2 and vertex-ai, and reads the queue's max attempts", () => {
    const rt = createRuntime({ env: { ...env, PUSHPOOL_TASKS_MAX_ATTEMPTS: "7" } });
    expect([...rt.deps.backends.keys()]).toEqual(["cloud-run-v2", "vertex-ai"]);
    expect(rt.maxAttempts).toBe(7);
    expect(createRuntime({ env }).maxAttempts).toBeUndefined();
  });
  it("refuses a malformed max attempts, and hides secrets from {{ $VAR }} placeholders", () => {
    expect(() => createRuntime({ env: { ...env, PUSHPOOL_TASKS_MAX_ATTEMPTS: "0" } })).toThrow(ConfigError);
    const rt = createRuntime({
      env: { ...env, PREFECT_API_KEY: "pnu_x1234", PUSHPOOL_WEBHOOK_SECRET: "s".repeat(20) },
    });
    expect(rt.deps.processEnv.PREFECT_API_KEY).toBeUndefined();
    expect(rt.deps.processEnv.PUSHPOOL_WEBHOOK_SECRET).toBeUndefined();
    expect(rt.deps.processEnv.PUSHPOOL_POOLS).toBe("gcp");
  });
});

describe("the Secret Manager defaults of the Cloud Run backend", () => {
  const env = { PREFECT_API_URL: "http://127.0.0.1:4200/api", PUSHPOOL_POOLS: "gcp" };
  const secretEnvOf = async (rt: ReturnType<typeof createRuntime>) => {
    const { config, ctx } = await renderCloudRun(
      {},
      {
        baseEnv: {
          PREFECT_API_URL: "https://prefect.example/api",
          PREFECT_API_KEY: "pnu_wired-key",
          PREFECT_API_AUTH_STRING: "admin:wired-pw",
        },
      },
    );
    const job = rt.cloudRun.prepare(config, ctx).job as {
      template: {
        template: { containers: { env: { name: string; value?: string; valueSource?: unknown }[] }[] };
      };
    };
    return job.template.template.containers[0]?.env.filter((e) => e.name.startsWith("PREFECT_API_")) ?? [];
  };
  it("PUSHPOOL_PREFECT_AUTH_STRING_SECRET and _API_KEY_SECRET become the flow containers' secret references", async () => {
    const rt = createRuntime({
      env: {
        ...env,
        PUSHPOOL_PREFECT_API_KEY_SECRET: "projects/p/secrets/key",
        PUSHPOOL_PREFECT_AUTH_STRING_SECRET: "auth:3",
      },
    });
    const found = await secretEnvOf(rt);
    expect(found).toContainEqual({
      name: "PREFECT_API_AUTH_STRING",
      valueSource: { secretKeyRef: { secret: "auth", version: "3" } },
    });
    expect(found).toContainEqual({
      name: "PREFECT_API_KEY",
      valueSource: { secretKeyRef: { secret: "projects/p/secrets/key", version: "latest" } },
    });
    expect(JSON.stringify(found)).not.toMatch(/wired-pw|pnu_wired-key/);
  });
  it("without it the auth string stays as Prefect's worker leaves it; a malformed one is refused by name", async () => {
    const found = await secretEnvOf(createRuntime({ env }));
    expect(found).toContainEqual({ name: "PREFECT_API_AUTH_STRING", value: "admin:wired-pw" });
    expect(() =>
      createRuntime({ env: { ...env, PUSHPOOL_PREFECT_AUTH_STRING_SECRET: "projects/p/auth" } }),
    ).toThrow(/PUSHPOOL_PREFECT_AUTH_STRING_SECRET must be a Secret Manager secret/);
  });
});

describe("the production queue and dead letter", () => {
  const message = {
    v: 1 as const,
    kind: "dispatch" as const,
    flowRunId: "5b1c7a0e-3d2f-4e8a-9b6c-1f0e2d3c4b5a",
    pool: "p",
    source: "t",
  };
  it("name the missing or malformed setting on first use, before any Google client is made", async () => {
    expect(productionQueue({}).maxDelaySeconds).toBe(30 * 24 * 3600);
    await expect(productionQueue({}).send(message)).rejects.toThrow(/PUSHPOOL_TASKS_QUEUE is not set/);
    const queue = productionQueue({
      PUSHPOOL_TASKS_QUEUE: "projects/p/locations/l/queues/q",
      PUSHPOOL_DISPATCH_URL: "https://x",
    });
    await expect(queue.send(message)).rejects.toThrow(/PUSHPOOL_TASKS_SERVICE_ACCOUNT is not set/);
    await expect(productionDeadLetter({}).publish("b", {})).rejects.toThrow(
      /PUSHPOOL_DEAD_LETTER_TOPIC is not set/,
    );
    await expect(
      productionDeadLetter({ PUSHPOOL_DEAD_LETTER_TOPIC: "dead-letters" }).publish("b", {}),
    ).rejects.toThrow(/must be 'projects\/<project>\/topics\/<topic>'/);
  });
});

function request(headers: Record<string, string>, body: string): Request {
  return { headers, rawBody: Buffer.from(body), body: undefined } as unknown as Request;
}

describe("cronMessage", () => {
  const body = JSON.stringify({ deployment: "etl/nightly", parameters: { n: 1 } });
  it("keys the run on the scheduler job and the firing time, scheduled at that time", () => {
    const m = cronMessage(
      request(
        {
          "x-cloudscheduler-scheduletime": "2026-12-07T03:00:00Z",
          "x-cloudscheduler-jobname": "projects/p/locations/l/jobs/nightly-etl",
        },
        body,
      ),
    );
    expect(m).toEqual({
      v: 1,
      kind: "trigger",
      deployment: "etl/nightly",
      parameters: { n: 1 },
      idempotencyKey: "cron:nightly-etl:2026-12-07T03:00:00.000Z",
      scheduledTime: "2026-12-07T03:00:00.000Z",
      source: "cron:nightly-etl",
    });
  });
  it("without the job name header, the deployment names the cron", () => {
    const m = cronMessage(request({ "x-cloudscheduler-scheduletime": "2026-12-07T03:00:00.000Z" }, body));
    expect(m.idempotencyKey).toBe("cron:etl/nightly:2026-12-07T03:00:00.000Z");
  });
  it("refuses a missing or malformed time, a body that is not JSON or not a cron body", () => {
    expect(() => cronMessage(request({}, body))).toThrow(/missing X-CloudScheduler-ScheduleTime header/);
    expect(() => cronMessage(request({ "x-cloudscheduler-scheduletime": "12/07/2026" }, body))).toThrow(
      /not an RFC 3339 time/,
    );
    const at = { "x-cloudscheduler-scheduletime": "2026-12-07T03:00:00Z" };
    expect(() => cronMessage(request(at, "{"))).toThrow(/body is not JSON/);
    expect(() => cronMessage(request(at, JSON.stringify({ deployment: "a/b", extra: 1 })))).toThrow(
      /invalid cron body/,
    );
  });
});

describe("lazyCloudRunApiFactory", () => {
  it("forwards each call to the Google client it loads (the block's project wins)", async () => {
    const api = lazyCloudRunApiFactory({ env: { GOOGLE_CLOUD_PROJECT: "lazy-project" } })({
      project: "from-block",
    });
    expect(await api.project()).toBe("from-block");
  });
});
