import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/shared/errors.ts";
import { cronTrigger } from "../../../functions/azure/cron.ts";
import { parseCrons } from "../../../functions/azure/crons.ts";
import { queueBody } from "../../../functions/azure/dispatch.ts";
import { describePoison } from "../../../functions/azure/poison.ts";
import { decodeBody, encodeBody } from "../../../functions/azure/queue.ts";

const crons = (value: unknown) => parseCrons({ PUSHPOOL_CRONS: JSON.stringify(value) });
const entry = { name: "nightly", schedule: "0 0 3 * * *", deployment: "etl/nightly" };

describe("PUSHPOOL_CRONS", () => {
  it("unset or blank → no cron; entries parse with their schedule", () => {
    expect(parseCrons({})).toEqual([]);
    expect(parseCrons({ PUSHPOOL_CRONS: "  " })).toEqual([]);
    const [parsed] = crons([{ ...entry, parameters: { day: 1 } }]);
    expect(parsed?.schedule.expression).toBe("0 0 3 * * *");
    expect(parsed?.parameters).toEqual({ day: 1 });
  });

  it("a float parameter stays a float all the way into the trigger message", () => {
    const [parsed] = parseCrons({
      PUSHPOOL_CRONS:
        '[{"name":"f","schedule":"0 0 3 * * *","deployment":"etl/nightly","parameters":{"ratio":1.0,"n":2}}]',
    });
    if (!parsed) throw new Error("no entry");
    const body = encodeBody(cronTrigger(parsed, new Date("2026-12-07T04:00:00Z")));
    expect(decodeBody(body)).toContain('"parameters":{"ratio":1.0,"n":2}');
  });

  it("each kind of bad input is a ConfigError naming the entry, the field and the problem", () => {
    const problem = (value: unknown) => {
      try {
        crons(value);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(() => parseCrons({ PUSHPOOL_CRONS: "[{" })).toThrow(/PUSHPOOL_CRONS is not JSON/);
    expect(problem({})).toMatch(/PUSHPOOL_CRONS: \(root\): Invalid input: expected array/);
    expect(problem([{ ...entry, schedule: "*/5 * * * *" }])).toMatch(
      /0\.schedule: '\*\/5 \* \* \* \*' has 5 fields/,
    );
    expect(problem([entry, { ...entry, deployment: "no-slash" }])).toMatch(
      /1\.deployment: must be 'flow-name\/deployment-name' or a deployment id/,
    );
    expect(problem([{ ...entry, name: "9 bad" }])).toMatch(/0\.name: must start with a letter/);
    expect(problem([entry, { ...entry, name: "NIGHTLY" }])).toMatch(
      /1\.name: 'NIGHTLY' is also entry 0's name/,
    );
    expect(problem([{ ...entry, extra: 1 }])).toMatch(/0: Unrecognized key: "extra"/);
    expect(problem([{ ...entry, parameters: [1] }])).toMatch(/0\.parameters: /);
  });

  it("a firing names its occurrence: the same key for a re-fired or slightly early timer", () => {
    const [parsed] = crons([{ ...entry, schedule: "0 */5 * * * *", jobVariables: { cpu: 1 } }]);
    if (!parsed) throw new Error("no entry");
    const first = cronTrigger(parsed, new Date("2026-12-07T03:10:00.020Z"));
    expect(first).toEqual({
      v: 1,
      kind: "trigger",
      deployment: "etl/nightly",
      jobVariables: { cpu: 1 },
      idempotencyKey: "cron:etl/nightly:2026-12-07T03:10:00Z",
      scheduledTime: "2026-12-07T03:10:00Z",
      source: "cron:nightly",
    });
    expect(cronTrigger(parsed, new Date("2026-12-07T03:12:31Z")).idempotencyKey).toBe(first.idempotencyKey);
    expect(cronTrigger(parsed, new Date("2026-12-07T03:09:59.600Z")).idempotencyKey).toBe(
      first.idempotencyKey,
    );
    expect(cronTrigger(parsed, new Date("2026-12-07T03:15:00Z")).idempotencyKey).not.toBe(
      first.idempotencyKey,
    );
  });
});

describe("queue trigger input", () => {
  it("text stays text, parsed JSON is serialised back, bytes are UTF-8, anything else is a ValidationError", () => {
    expect(queueBody('{"a":1}')).toBe('{"a":1}');
    expect(queueBody({ a: "é" })).toBe('{"a":"é"}');
    expect(queueBody(Buffer.from("hi"))).toBe("hi");
    expect(() => queueBody(42)).toThrow(/queue message is not text or JSON \(got number\)/);
  });

  it("a poison message is described from its text: what it was and why", () => {
    const dispatch = {
      v: 1,
      kind: "dispatch",
      flowRunId: "7f0c6f0e-3a8e-4a52-9d3c-0a5b2f4e9c11",
      pool: "aci",
      source: "tick",
    };
    const described = describePoison(Buffer.from(JSON.stringify(dispatch)).toString("base64"));
    expect(described.what).toEqual({
      kind: "dispatch",
      flowRunId: dispatch.flowRunId,
      pool: "aci",
      source: "tick",
    });
    expect(described.reason).toMatch(/failed on each of 5 deliveries/);
    const junk = describePoison(Buffer.from("{nope").toString("base64"));
    expect(junk).toEqual({
      what: { kind: "unreadable" },
      reason: expect.stringMatching(/^ValidationError: message body is not JSON/),
    });
  });
});
