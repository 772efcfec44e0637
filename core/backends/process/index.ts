/**
 * @module
 * The local backend serves `process` pools: the rendered command runs as a subprocess with the
 * rendered env, in `working_dir`, as Prefect's process worker runs it. pid format `<host>:<pid>`.
 *
 * Start-once primitives (core/backends/startOnce.ts): `find` is the in-memory token → process map.
 * The local stack is one process, so that is the whole truth; after a restart, `inspect` falls back
 * to asking the OS whether the pid is alive. A spawn fails definitively (`mayHaveStarted` is false
 * for it); only a retryable failure — which a spawn never raises — is treated as ambiguous.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants, hostname } from "node:os";
import type { JobConfiguration } from "../../job/types.ts";
import type { Backend, BackendContext, InfraStatus, PreparedContext, Started } from "../../ports/backend.ts";
import {
  InfrastructureNotFoundError,
  InvalidJobConfigurationError,
  PushpoolError,
  SubmitError,
} from "../../shared/errors.ts";
import { shlexSplit } from "../shlex.ts";
import { adaptProcessPrepared } from "./prepare.ts";

export interface ProcessRequest {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  streamOutput: boolean;
}

/** What {@link LocalBackend} hands to `child_process.spawn`: `spawn(argv[0], argv.slice(1), {cwd, env})`. */
export interface SpawnSpec {
  argv: string[];
  cwd: string | undefined;
  env: Record<string, string>;
}

export interface ProcessExit {
  flowRunId: string;
  pid: string;
  exitCode: number;
  /** Last lines of the process output (for a crash report). */
  tail: string[];
}

export interface LocalBackendOptions {
  /** Called when a process exits (the fast path to report crashes). */
  onExit?(exit: ProcessExit): void;
  /** Where `stream_output` goes (default: this process's stdout, prefixed). */
  write?(line: string): void;
  /** The environment every subprocess inherits before the job's env (default: none). */
  inheritEnv?: Record<string, string | undefined>;
  tailLines?: number;
  /** Pools without a command run `<pythonExecutable> -m prefect.engine` (default `python`). */
  pythonExecutable?: string;
}

interface Tracked {
  child: ChildProcess;
  pid: string;
  exitCode: number | null;
  tail: string[];
}

/**
 * A flow process imports Prefect before it can start (~2.5 s alone, 6–15 s when several start at
 * once on 2 cores — bench/local.bench.ts). The engine waits for the scheduled time, so early is free.
 */
export const PROCESS_LEAD_SECONDS = 15;

export class LocalBackend implements Backend<ProcessRequest> {
  readonly type = "process";
  readonly label = "process";
  readonly leadSeconds = PROCESS_LEAD_SECONDS;
  private readonly byToken = new Map<string, Promise<Started>>();
  private readonly byPid = new Map<string, Tracked>();
  private readonly host = hostname();
  /** Every pid this backend started, in order (tests count them). */
  readonly started: string[] = [];

  constructor(private readonly options: LocalBackendOptions = {}) {}

  adaptPrepared(prepared: JobConfiguration, ctx: PreparedContext): JobConfiguration {
    return adaptProcessPrepared(prepared, ctx, this.options.pythonExecutable ?? "python");
  }

  prepare(config: JobConfiguration, _ctx: BackendContext): ProcessRequest {
    const command = config.command ?? "prefect flow-run execute";
    const argv = shlexSplit(command);
    if (argv.length === 0) throw new InvalidJobConfigurationError("command is empty");
    const cwd = config.working_dir;
    if (cwd !== undefined && cwd !== null && typeof cwd !== "string")
      throw new InvalidJobConfigurationError("working_dir must be a string");
    return { argv, env: config.env, cwd: cwd ?? undefined, streamOutput: config.stream_output !== false };
  }

  /** The process this token started (waits for one still spawning), or null. */
  async find(_request: ProcessRequest, token: string): Promise<Started | null> {
    const started = this.byToken.get(token);
    if (!started) return null;
    try {
      return await started;
    } catch {
      return null;
    }
  }

  start(request: ProcessRequest, token: string, ctx: BackendContext): Promise<Started> {
    const existing = this.byToken.get(token);
    if (existing) return existing;
    const started = this.launch(request, ctx.flowRun.id);
    this.byToken.set(token, started);
    started.catch(() => this.byToken.delete(token));
    return started;
  }

  mayHaveStarted(error: unknown): boolean {
    return PushpoolError.is(error) && error.retryable;
  }

  /**
   * Exactly what `start` passes to `spawn` for this request: the file, its arguments, the working
   * directory and the whole environment the flow process gets (`pushpool render` prints it).
   */
  spawnSpec(request: ProcessRequest): SpawnSpec {
    const env = { ...definedOnly(this.options.inheritEnv ?? {}), ...request.env };
    return { argv: [...request.argv], cwd: request.cwd, env };
  }

  private launch(request: ProcessRequest, flowRunId: string): Promise<Started> {
    const { argv, cwd, env } = this.spawnSpec(request);
    const [file, ...args] = argv as [string, ...string[]];
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        env,
        cwd,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.once("error", (error: NodeJS.ErrnoException) => {
        reject(
          new SubmitError(`${error.code === "ENOENT" ? "FileNotFoundError" : "OSError"}: ${error.message}`),
        );
      });
      child.once("spawn", () => {
        const pid = `${this.host}:${child.pid}`;
        const tracked: Tracked = { child, pid, exitCode: null, tail: [] };
        this.byPid.set(pid, tracked);
        this.started.push(pid);
        this.capture(tracked, request.streamOutput, flowRunId);
        child.once("exit", (code, signal) => {
          tracked.exitCode = code ?? -(signal ? (constants.signals[signal] ?? 1) : 1);
          this.options.onExit?.({ flowRunId, pid, exitCode: tracked.exitCode, tail: tracked.tail });
        });
        resolve({ pid });
      });
    });
  }

  private capture(tracked: Tracked, stream: boolean, flowRunId: string) {
    const keep = this.options.tailLines ?? 50;
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        tracked.tail.push(line);
        if (tracked.tail.length > keep) tracked.tail.shift();
        if (stream)
          (this.options.write ?? ((l) => process.stdout.write(`${l}\n`)))(
            `[${flowRunId.slice(0, 8)}] ${line}`,
          );
      }
    };
    tracked.child.stdout?.on("data", onData);
    tracked.child.stderr?.on("data", onData);
  }

  async inspect(pid: string, _config?: JobConfiguration, _ctx?: BackendContext): Promise<InfraStatus> {
    const tracked = this.byPid.get(pid);
    if (tracked) {
      if (tracked.exitCode === null) return { state: "running" };
      return tracked.exitCode === 0
        ? { state: "succeeded", exitCode: 0 }
        : { state: "failed", exitCode: tracked.exitCode };
    }
    const osPid = this.osPid(pid);
    if (osPid !== null && isAlive(osPid)) return { state: "running" };
    return { state: "gone", reason: `process ${pid} is not running` };
  }

  async kill(
    pid: string,
    _config: JobConfiguration,
    graceSeconds: number,
    _ctx?: BackendContext,
  ): Promise<void> {
    const osPid = this.osPid(pid);
    if (osPid === null || !isAlive(osPid)) throw new InfrastructureNotFoundError(`process ${pid} not found`);
    signalGroup(osPid, "SIGTERM");
    const deadline = Date.now() + graceSeconds * 1000;
    while (isAlive(osPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(osPid)) signalGroup(osPid, "SIGKILL");
  }

  /** Kills every process still running (stack shutdown). */
  async stopAll(): Promise<void> {
    for (const t of this.byPid.values())
      if (t.exitCode === null && t.child.pid) signalGroup(t.child.pid, "SIGKILL");
  }

  private osPid(pid: string): number | null {
    const [host, num] = pid.split(":");
    if (host !== this.host || !num || !/^\d+$/.test(num)) return null;
    const tracked = this.byPid.get(pid);
    if (tracked && tracked.exitCode !== null) return null;
    return Number(num);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
}
