import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/ports/logger.ts";
import { ValidationError } from "../../../core/shared/errors.ts";
import { LocalQueue } from "../../../functions/local/queue.ts";

const msg = (n: number) =>
  ({
    v: 1,
    kind: "dispatch",
    flowRunId: `00000000-0000-4000-8000-00000000000${n}`,
    pool: "p",
    source: "t",
  }) as const;

describe("LocalQueue", () => {
  it("delivers after the delay, in order of due time", async () => {
    const seen: string[] = [];
    const q = new LocalQueue({
      logger: silentLogger,
      handler: async (b) => void seen.push(JSON.parse(b).flowRunId.slice(-1)),
    });
    await q.send(msg(1), { delaySeconds: 0.06 });
    await q.send(msg(2), { delaySeconds: 0 });
    await q.idle();
    expect(seen).toEqual(["2", "1"]);
  });

  it("redelivers a failing message, then dead-letters it after maxReceives", async () => {
    let calls = 0;
    const q = new LocalQueue({
      logger: silentLogger,
      maxReceives: 3,
      retryDelayMs: 1,
      handler: async () => {
        calls++;
        throw new ValidationError("nope");
      },
    });
    await q.send(msg(1));
    await q.idle();
    expect(calls).toBe(3);
    expect(q.deadLetters).toEqual([
      { body: JSON.stringify(msg(1)), error: "ValidationError: nope", receives: 3 },
    ]);
    expect(q.stats).toMatchObject({ delivered: 3, redelivered: 2, deadLettered: 1 });
  });

  it("a message that succeeds on its second delivery is not dead-lettered", async () => {
    let calls = 0;
    const q = new LocalQueue({
      logger: silentLogger,
      retryDelayMs: 1,
      handler: async () => {
        if (calls++ === 0) throw new Error("transient");
      },
    });
    await q.send(msg(3));
    await q.idle();
    expect(calls).toBe(2);
    expect(q.deadLetters).toHaveLength(0);
  });
});
