import { describe, expect, it } from "vitest";
import { CloudRunBackend } from "../../../core/backends/cloud-run-v2/index.ts";
import type { Logger } from "../../../core/ports/logger.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { cloudRunTemplate, renderCloudRun } from "./render.ts";

function recordingLogger() {
  const lines: string[] = [];
  const log = (message: string, fields?: unknown) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { debug: log, info: log, warn: log, error: log };
  return { logger, lines };
}

function backend(options: Partial<ConstructorParameters<typeof CloudRunBackend>[0]> = {}) {
  return new CloudRunBackend({
    cloudRunApiFor: () => {
      throw new Error("prepare reaches no cloud");
    },
    ...options,
  });
}

async function prepare(values: JsonObject, b = backend(), template = cloudRunTemplate) {
  const { config, ctx } = await renderCloudRun(values, { template });
  return b.prepare(config, ctx);
}

const container = (job: unknown) =>
  ((job as { template: { template: { containers: Record<string, unknown>[] } } }).template.template
    .containers[0] ?? {}) as Record<string, unknown>;

describe("CloudRunBackend.prepare", () => {
  it("the default template: Prefect's command, image, timeout, labels on job and executions, no vpcAccess", async () => {
    const request = await prepare({});
    const main = container(request.job);
    expect(main.command).toEqual(["prefect", "flow-run", "execute"]);
    expect(main.image).toBe("prefecthq/prefect:3-latest");
    const tpl = request.job.template as { template: Record<string, unknown>; labels: Record<string, string> };
    expect(tpl.template.timeout).toBe("600s");
    expect(tpl.template).not.toHaveProperty("vpcAccess");
    expect(tpl.labels["prefect-io-flow-name"]).toBe("etl");
    expect((request.job.labels as Record<string, string>)["prefect-io-work-pool-name"]).toBe(
      "my-cloud-run-pool",
    );
    expect(request).toMatchObject({ region: "us-central1", keepJob: false, credentials: null });
  });

  it("warns about a plaintext API key by name, never its value", async () => {
    const { logger, lines } = recordingLogger();
    await prepare({}, backend({ logger }));
    expect(lines.some((l) => l.startsWith("PREFECT_API_KEY is provided as a plaintext"))).toBe(true);
    expect(lines.join("\n")).not.toContain("pnu_secret");
  });

  it("the operator's default key secret replaces the plaintext key where the pool names none", async () => {
    const { logger, lines } = recordingLogger();
    const b = backend({
      logger,
      defaults: { prefectApiKeySecret: { secret: "pushpool-key", version: "latest" } },
    });
    const request = await prepare({}, b);
    const env = container(request.job).env as Array<Record<string, unknown>>;
    expect(env.filter((e) => e.name === "PREFECT_API_KEY")).toEqual([
      {
        name: "PREFECT_API_KEY",
        valueSource: { secretKeyRef: { secret: "pushpool-key", version: "latest" } },
      },
    ]);
    expect(JSON.stringify(request.job)).not.toContain("pnu_secret");
    expect(lines).toEqual([]);
  });

  it("the operator's default auth-string secret replaces the plaintext auth string where the pool names none", async () => {
    const { logger, lines } = recordingLogger();
    const b = backend({
      logger,
      defaults: { prefectApiAuthStringSecret: { secret: "pushpool-auth", version: "2" } },
    });
    const { config, ctx } = await renderCloudRun(
      {},
      {
        baseEnv: {
          PREFECT_API_URL: "https://prefect.example/api",
          PREFECT_API_AUTH_STRING: "admin:pw-s3cret",
        },
      },
    );
    const request = b.prepare(config, ctx);
    const env = container(request.job).env as Array<Record<string, unknown>>;
    expect(env.filter((e) => e.name === "PREFECT_API_AUTH_STRING")).toEqual([
      {
        name: "PREFECT_API_AUTH_STRING",
        valueSource: { secretKeyRef: { secret: "pushpool-auth", version: "2" } },
      },
    ]);
    expect(JSON.stringify(request.job)).not.toContain("pw-s3cret");
    expect(lines).toEqual([]);
  });

  it.each([
    [
      "its prefect_api_auth_string_secret",
      { prefect_api_auth_string_secret: { secret: "pool-auth", version: "5" } },
    ],
    [
      "an env_from_secrets entry",
      { env_from_secrets: { PREFECT_API_AUTH_STRING: { secret: "pool-auth", version: "5" } } },
    ],
  ])("a pool naming its own auth-string secret (%s) keeps it over the default", async (_, values) => {
    const b = backend({
      defaults: { prefectApiAuthStringSecret: { secret: "pushpool-auth", version: "2" } },
    });
    const { config, ctx } = await renderCloudRun(values as JsonObject, {
      baseEnv: { PREFECT_API_URL: "https://prefect.example/api", PREFECT_API_AUTH_STRING: "admin:pw-s3cret" },
    });
    const env = container(b.prepare(config, ctx).job).env as Array<Record<string, unknown>>;
    expect(env.filter((e) => e.name === "PREFECT_API_AUTH_STRING")).toEqual([
      {
        name: "PREFECT_API_AUTH_STRING",
        valueSource: { secretKeyRef: { secret: "pool-auth", version: "5" } },
      },
    ]);
  });

  it.each([
    [{ timeout: 604801 }, "timeout: Input should be less than or equal to 604800"],
    [{ timeout: "soon" }, "timeout: Input should be a valid integer"],
    [{ env_from_secrets: { A: { secret: "s" } } }, "env_from_secrets.A.version: Field required"],
    [
      { prefect_api_key_secret: { secret: 1, version: "1" } },
      "prefect_api_key_secret.secret: Input should be a valid string",
    ],
    [{ keep_job: "maybe" }, "keep_job: Input should be a valid boolean"],
    [{ cloudsql_instances: "a:b:c" }, "cloudsql_instances: Input should be a valid list"],
    [
      { credentials: { service_account_info: { private_key: "k" }, service_account_file: "/f" } },
      "Only one of service_account_info or service_account_file",
    ],
  ])("refuses %j precisely", async (values, message) => {
    const attempt = prepare(values as JsonObject);
    await expect(attempt).rejects.toBeInstanceOf(InvalidJobConfigurationError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("refuses a job_body without containers, or with containers that are not a list, in Prefect's words", async () => {
    const missing = structuredClone(cloudRunTemplate) as unknown as {
      job_configuration: { job_body: JsonObject };
    };
    missing.job_configuration.job_body = { client: "prefect", template: {} };
    await expect(prepare({}, backend(), missing as never)).rejects.toThrow(
      "job_body: Job body is missing required components: /template/template",
    );
    const notList = structuredClone(missing);
    notList.job_configuration.job_body = { template: { template: { containers: {} } } };
    await expect(prepare({}, backend(), notList as never)).rejects.toThrow(
      "/template/template/containers must have value []",
    );
    const empty = structuredClone(missing);
    empty.job_configuration.job_body = { template: { template: { containers: [] } } };
    await expect(prepare({}, backend(), empty as never)).rejects.toThrow("needs a first container");
  });
});
