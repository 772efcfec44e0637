/**
 * The supervisor's side of Prefect's control session (core/backends/process/control.ts), against a
 * child written from the protocol of prefect/_internal/control_listener.py: `<token>\n`, the
 * version-two hello (ignored by a version-one supervisor), then `a` for the `c` it receives.
 * (test/e2e/cancel.test.ts checks it with Prefect's real engine.)
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ControlChannel } from "../../../core/backends/process/control.ts";

const HELLO = Buffer.from([0x00, 0x50, 0x46, 0x02, 0x01]); // b"\x00PF" + version 2, receipts

let channel: ControlChannel;
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets) s.destroy();
  channel?.close();
});

/** Connects as the engine does and presents `token`; answers `a` to `c` when `ack`. */
async function child(env: Record<string, string>, token: string, ack: boolean) {
  const socket = connect(Number(env.PREFECT__CONTROL_PORT), "127.0.0.1");
  sockets.push(socket);
  socket.on("error", () => {}); // a refused connection is reset
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const received: string[] = [];
  socket.on("data", (chunk) => {
    received.push(chunk.toString("latin1"));
    if (ack && chunk.includes(0x63)) socket.write("a");
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(`${token}\n`);
  socket.write(HELLO);
  return { socket, received, closed };
}

/** Waits until the supervisor holds the session (generous: a loaded machine). */
async function accepted(token: string) {
  for (let i = 0; i < 500 && !channel.connected(token); i++) await new Promise((r) => setTimeout(r, 20));
  expect(channel.connected(token)).toBe(true);
}

describe("ControlChannel", () => {
  it("hands out a port and a one-shot token, and hears the child's acknowledgement", async () => {
    channel = new ControlChannel();
    const { token, env } = await channel.register();
    expect(env.PREFECT__CONTROL_TOKEN).toBe(token);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const { received } = await child(env, token, true);
    await accepted(token);
    expect(await channel.cancel(token)).toBe("acknowledged");
    expect(received.join("")).toBe("c");
  });

  it("reports no acknowledgement when the child does not answer, has closed, or never connected", async () => {
    channel = new ControlChannel(300);
    const silent = await channel.register();
    await child(silent.env, silent.token, false);
    await accepted(silent.token);
    const gone = await channel.register();
    const { socket } = await child(gone.env, gone.token, true);
    await accepted(gone.token);
    socket.destroy();
    for (let i = 0; i < 500 && channel.connected(gone.token); i++)
      await new Promise((r) => setTimeout(r, 20));
    const absent = await channel.register();

    expect(await channel.cancel(gone.token)).toBe("not_acknowledged");
    expect(await channel.cancel(absent.token)).toBe("not_acknowledged");
    expect(await channel.cancel(silent.token)).toBe("not_acknowledged");
  });

  it("refuses a connection with an unknown or already used token", async () => {
    channel = new ControlChannel();
    const { token, env } = await channel.register();
    const first = await child(env, token, true);
    await accepted(token);
    const replay = await child(env, token, true);
    const stranger = await child(env, "f".repeat(32), true);
    await replay.closed; // the supervisor hung up on both
    await stranger.closed;
    expect(replay.received).toEqual([]);
    expect(await channel.cancel(token)).toBe("acknowledged");
    expect(first.received.join("")).toBe("c");
  });
});
