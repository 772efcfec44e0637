import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/shared/errors.ts";
import { parseWebhookConfig } from "../../core/webhook/config.ts";

const SECRET_A = "ci-secret-AAAAAAAAAAAA";
const SECRET_B = "cron-secret-BBBBBBBBBB";

function keys(value: unknown): Record<string, string> {
  return { PUSHPOOL_WEBHOOK_KEYS: JSON.stringify(value) };
}

/** Runs the parser, expecting a ConfigError; returns its message. */
function configError(env: Record<string, string | undefined>): string {
  try {
    parseWebhookConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("parseWebhookConfig", () => {
  it("refuses to start without a secret", () => {
    const message =
      "the webhook refuses to start without a secret: set PUSHPOOL_WEBHOOK_SECRET or PUSHPOOL_WEBHOOK_KEYS";
    expect(configError({})).toBe(message);
    expect(configError({ PUSHPOOL_WEBHOOK_SECRET: "", PUSHPOOL_WEBHOOK_KEYS: " " })).toBe(message);
  });

  it("reads a single secret as the 'default' key: all deployments, no overrides", () => {
    expect(parseWebhookConfig({ PUSHPOOL_WEBHOOK_SECRET: SECRET_A })).toEqual([
      { id: "default", secret: SECRET_A, allowJobVariables: [] },
    ]);
  });

  it("rejects both variables at once", () => {
    expect(
      configError({ PUSHPOOL_WEBHOOK_SECRET: SECRET_A, ...keys([{ id: "ci", secret: SECRET_B }]) }),
    ).toMatch(/only one of/);
  });

  it("rejects short or padded secrets without echoing them", () => {
    const short = "short-secret-15";
    expect(short).toHaveLength(15);
    const m1 = configError({ PUSHPOOL_WEBHOOK_SECRET: short });
    expect(m1).toMatch(/PUSHPOOL_WEBHOOK_SECRET must be at least 16 characters/);
    expect(m1).not.toContain(short);
    const m2 = configError({ PUSHPOOL_WEBHOOK_SECRET: `${SECRET_A}\n` });
    expect(m2).toMatch(/whitespace/);
    expect(m2).not.toContain(SECRET_A);
    const m3 = configError(keys([{ id: "ci", secret: short }]));
    expect(m3).toMatch(/0\.secret: must be at least 16/);
    expect(m3).not.toContain(short);
  });

  it("parses a key list with limits", () => {
    const parsed = parseWebhookConfig(
      keys([
        { id: "ci", secret: SECRET_A, deployments: ["etl/daily", "3fa85f64-5717-4562-b3fc-2c963f66afa6"] },
        { id: "ops.team-1", secret: SECRET_B, allowJobVariables: ["image", "env"] },
      ]),
    );
    expect(parsed).toEqual([
      {
        id: "ci",
        secret: SECRET_A,
        deployments: ["etl/daily", "3fa85f64-5717-4562-b3fc-2c963f66afa6"],
        allowJobVariables: [],
      },
      { id: "ops.team-1", secret: SECRET_B, allowJobVariables: ["image", "env"] },
    ]);
  });

  it("does not echo the input when the JSON is broken", () => {
    const env = { PUSHPOOL_WEBHOOK_KEYS: `[{"id":"ci","secret": ${SECRET_A}}]` };
    const message = configError(env);
    expect(message).toMatch(/PUSHPOOL_WEBHOOK_KEYS is not valid JSON/);
    expect(message).not.toContain(SECRET_A);
    expect(message).not.toContain(SECRET_A.slice(0, 8));
  });

  it("names the field of an invalid key", () => {
    expect(configError(keys([]))).toMatch(/at least one key/);
    expect(configError(keys({ id: "ci", secret: SECRET_A }))).toMatch(/\(root\)/);
    expect(configError(keys([{ id: "bad id", secret: SECRET_A }]))).toMatch(/0\.id/);
    expect(configError(keys([{ id: "ci", secret: SECRET_A, deployments: ["no-slash"] }]))).toMatch(
      /0\.deployments\.0: must be 'flow-name\/deployment-name'/,
    );
    expect(configError(keys([{ id: "ci", secret: SECRET_A, deployments: [] }]))).toMatch(/omit the field/);
    expect(configError(keys([{ id: "ci", secret: SECRET_A, allowJobVariables: ["env.FOO"] }]))).toMatch(
      /0\.allowJobVariables\.0: must be a top-level job variable name/,
    );
    const typo = configError(keys([{ id: "ci", secret: SECRET_A, deployment: ["etl/daily"] }]));
    expect(typo).toMatch(/Unrecognized key: "deployment"/);
    expect(typo).not.toContain(SECRET_A);
  });

  it("rejects duplicate ids and shared secrets without echoing the secret", () => {
    expect(
      configError(
        keys([
          { id: "ci", secret: SECRET_A },
          { id: "ci", secret: SECRET_B },
        ]),
      ),
    ).toMatch(/key id 'ci' appears twice/);
    const shared = configError(
      keys([
        { id: "ci", secret: SECRET_A },
        { id: "cron", secret: SECRET_A },
      ]),
    );
    expect(shared).toMatch(/keys 'ci' and 'cron' share the same secret/);
    expect(shared).not.toContain(SECRET_A);
  });
});
