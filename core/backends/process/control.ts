/**
 * @module
 * The supervisor's side of Prefect's attempt control session, version one (the child's side is
 * prefect/_internal/control_listener.py; Prefect's runner is prefect/runner/_control_channel.py).
 * Without it, SIGTERM reaches `python -m prefect.engine` as an unexplained termination: the engine
 * marks the run Crashed and runs its `on_crashed` hooks. With it, the engine learns first that the
 * signal is a cancellation and cancels the run itself (Cancelled, `on_cancellation` hooks, exit 0).
 *
 * The protocol: the child gets `PREFECT__CONTROL_PORT` and a one-shot `PREFECT__CONTROL_TOKEN`,
 * connects to 127.0.0.1:<port> once its SIGTERM bridge is installed and sends `<token>\n`; to
 * cancel, the supervisor sends `c` and the child answers `a` once it has committed the intent; then
 * the supervisor sends SIGTERM. A version-one supervisor ignores the child's version-two hello, so
 * the child never sends outcome receipts. No answer within 5 s → the caller signals anyway.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";

export type ControlSignal = "acknowledged" | "not_acknowledged";

/** Prefect waits 1 s; the child answers within milliseconds, but a loaded machine is given more. */
const ACK_TIMEOUT_MS = 5000;
const HANDSHAKE_TIMEOUT_MS = 5000;

export class ControlChannel {
  private listening: Promise<number> | null = null;
  private server: Server | null = null;
  /** Tokens handed out and not yet presented. */
  private readonly issued = new Set<string>();
  /** Connected children by token. */
  private readonly sessions = new Map<string, Socket>();

  constructor(private readonly ackTimeoutMs = ACK_TIMEOUT_MS) {}

  /** The environment a child about to start gets, and the token that names its session. */
  async register(): Promise<{ token: string; env: Record<string, string> }> {
    const port = await this.listen();
    const token = randomBytes(16).toString("hex");
    this.issued.add(token);
    return { token, env: { PREFECT__CONTROL_PORT: String(port), PREFECT__CONTROL_TOKEN: token } };
  }

  /** True while the child behind `token` is connected. */
  connected(token: string): boolean {
    return this.sessions.get(token)?.destroyed === false;
  }

  /** Tells the child behind `token` that the coming SIGTERM is a cancellation. */
  async cancel(token: string): Promise<ControlSignal> {
    const socket = this.sessions.get(token);
    if (!socket || socket.destroyed) return "not_acknowledged";
    return await new Promise<ControlSignal>((resolve) => {
      const done = (result: ControlSignal) => {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("close", onClose);
        resolve(result);
      };
      const onData = (chunk: Buffer) => {
        if (chunk.includes(0x61)) done("acknowledged"); // "a"
      };
      const onClose = () => done("not_acknowledged");
      const timer = setTimeout(() => done("not_acknowledged"), this.ackTimeoutMs);
      socket.on("data", onData);
      socket.once("close", onClose);
      socket.write("c");
    });
  }

  /** Forgets a child that exited. */
  release(token: string): void {
    this.issued.delete(token);
    this.sessions.get(token)?.destroy();
    this.sessions.delete(token);
  }

  close(): void {
    for (const socket of this.sessions.values()) socket.destroy();
    this.sessions.clear();
    this.server?.close();
    this.server = null;
    this.listening = null;
  }

  private listen(): Promise<number> {
    this.listening ??= new Promise<number>((resolve, reject) => {
      const server = createServer((socket) => this.accept(socket));
      server.unref();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        this.server = server;
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("the control channel has no port"));
      });
    });
    return this.listening;
  }

  /** Reads `<token>\n`; an unknown token is refused. Later bytes are read by `cancel`. */
  private accept(socket: Socket): void {
    socket.unref();
    socket.on("error", () => socket.destroy());
    let head = "";
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\n");
      if (end < 0) {
        if (head.length > 256) socket.destroy();
        return;
      }
      clearTimeout(timer);
      socket.off("data", onData);
      const token = head.slice(0, end).trim();
      if (!this.issued.delete(token)) {
        socket.destroy();
        return;
      }
      this.sessions.set(token, socket);
      socket.resume(); // the child's hello is ignored, as a version-one supervisor does
      socket.once("close", () => {
        if (this.sessions.get(token) === socket) this.sessions.delete(token);
      });
    };
    socket.on("data", onData);
  }
}
