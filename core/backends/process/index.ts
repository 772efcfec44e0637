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
import { StringDecoder } from "node:string_decoder";
import type { JobConfiguration } from "../../job/types.ts";
import type { Backend, BackendContext, InfraStatus, PreparedContext, Started } from "../../ports/backend.ts";
import type { CheckRow } from "../../ports/check.ts";
import {
  InfrastructureNotFoundError,
  InvalidJobConfigurationError,
  PushpoolError,
  SubmitError,
} from "../../shared/errors.ts";
import { shlexSplit } from "../shlex.ts";
import { ControlChannel } from "./control.ts";
import { adaptProcessPrepared } from "./prepare.ts";
import { checkPythonHasPrefect } from "./pythonCheck.ts";

export interface ProcessRequest {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  streamOutput: boolean;
}

/** What {@link LocalBackend} hands to `child_process.spawn`: `spawn(argv[0], argv.slice(1), {cwd, env})`. */
/**
 * The control session's variables as `spawnSpec` shows them without a session (`pushpool render`):
 * each flow process gets its own port and one-shot token when it starts (./control.ts).
 */
export const CONTROL_ENV_SHOWN: Readonly<Record<string, string>> = {
  PREFECT__CONTROL_PORT: "<per process>",
  PREFECT__CONTROL_TOKEN: "***",
};

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
  /** Where `pythonExecutable` came from, for people (./python.ts). */
  pythonSource?: string;
}

interface Tracked {
  child: ChildProcess;
  pid: string;
  exitCode: number | null;
  tail: string[];
  /** Its control session (./control.ts), when one could be offered. */
  controlToken: string | null;
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
  /** The flow process is pushpool's own child (`python -m prefect.engine`, no runner): cancel at once. */
  readonly supervised = true;
  private readonly byToken = new Map<string, Promise<Started>>();
  private readonly byPid = new Map<string, Tracked>();
  private readonly host = hostname();
  private readonly control = new ControlChannel();
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
    const started = this.launch(request, ctx.flowRun.id, ctx.flowRun.name || ctx.flowRun.id);
    this.byToken.set(token, started);
    started.catch(() => this.byToken.delete(token));
    return started;
  }

  mayHaveStarted(error: unknown): boolean {
    return PushpoolError.is(error) && error.retryable;
  }

  /** The interpreter flows without a command run with can import prefect. */
  async doctor(_config: JobConfiguration, _ctx: BackendContext): Promise<CheckRow[]> {
    return [await this.checkPython()];
  }

  /** The start-up check of {@link LocalBackendOptions.pythonExecutable} (one short spawn). */
  checkPython(): Promise<CheckRow> {
    const python = this.options.pythonExecutable ?? "python";
    return checkPythonHasPrefect({ python, source: this.options.pythonSource ?? "configured" });
  }

  /**
   * Exactly what `start` passes to `spawn` for this request: the file, its arguments, the working
   * directory and the whole environment the flow process gets (`pushpool render` prints it).
   */
  spawnSpec(request: ProcessRequest, session: Record<string, string> = CONTROL_ENV_SHOWN): SpawnSpec {
    const env = { ...definedOnly(this.options.inheritEnv ?? {}), ...request.env, ...session };
    return { argv: [...request.argv], cwd: request.cwd, env };
  }

  /** `label` prefixes the streamed output: the run's name (UUIDv7 ids share their first characters). */
  private async launch(request: ProcessRequest, flowRunId: string, label: string): Promise<Started> {
    // A flow that cannot be told "this SIGTERM is a cancellation" is still killed: the session is optional.
    const session = await this.control.register().catch(() => null);
    const { argv, cwd, env } = this.spawnSpec(request, session?.env ?? {});
    const [file, ...args] = argv as [string, ...string[]];
    return await new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        env,
        cwd,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.once("error", (error: NodeJS.ErrnoException) => {
        if (session) this.control.release(session.token);
        reject(
          new SubmitError(`${error.code === "ENOENT" ? "FileNotFoundError" : "OSError"}: ${error.message}`),
        );
      });
      child.once("spawn", () => {
        const pid = `${this.host}:${child.pid}`;
        const tracked: Tracked = {
          child,
          pid,
          exitCode: null,
          tail: [],
          controlToken: session?.token ?? null,
        };
        this.byPid.set(pid, tracked);
        this.started.push(pid);
        this.capture(tracked, request.streamOutput, label);
        child.once("exit", (code, signal) => {
          tracked.exitCode = code ?? -(signal ? (constants.signals[signal] ?? 1) : 1);
          if (tracked.controlToken) this.control.release(tracked.controlToken);
          this.options.onExit?.({ flowRunId, pid, exitCode: tracked.exitCode, tail: tracked.tail });
        });
        resolve({ pid });
      });
    });
  }

  private capture(tracked: Tracked, stream: boolean, label: string) {
    const keep = this.options.tailLines ?? 50;
    const emit = (line: string) => {
      if (!line) return;
      tracked.tail.push(line);
      if (tracked.tail.length > keep) tracked.tail.shift();
      if (stream) (this.options.write ?? ((l) => process.stdout.write(`${l}\n`)))(`[${label}] ${line}`);
    };
    // Whole lines only: a pipe's chunk may end mid-line (or mid-character), which printed a line in pieces.
    for (const pipe of [tracked.child.stdout, tracked.child.stderr]) {
      const decoder = new StringDecoder("utf8");
      let partial = "";
      pipe?.on("data", (chunk: Buffer) => {
        const lines = (partial + decoder.write(chunk)).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) emit(line);
      });
      pipe?.on("end", () => emit(partial + decoder.end()));
    }
  }

  async inspect(pid: string, _config?: JobConfiguration, _ctx?: BackendContext): Promise<InfraStatus> {
    const tracked = this.byPid.get(pid);
    if (tracked) {
      if (tracked.exitCode === null) return { state: "running" };
      return tracked.exitCode === 0
        ? { state: "succeeded", exitCode: 0 }
        : { state: "failed", exitCode: tracked.exitCode };
    }
    if (this.isForeign(pid))
      return { state: "foreign", reason: `process ${pid} was not started by pushpool on this host` };
    const osPid = this.osPid(pid);
    if (osPid !== null && isAlive(osPid)) return { state: "running" };
    return { state: "gone", reason: `process ${pid} is not running` };
  }

  /**
   * Stops the flow's whole process group (the process was spawned as its leader, so the engine's
   * children are in it): SIGTERM, then SIGKILL after `graceSeconds`, as Prefect's process runner
   * does. Returns once nothing of the group is left, so the caller's Cancelled comes after
   * whatever the flow reported on its way out. Nothing left of it → InfrastructureNotFoundError.
   */
  async kill(
    pid: string,
    _config: JobConfiguration,
    graceSeconds: number,
    _ctx?: BackendContext,
  ): Promise<void> {
    const group = this.groupOf(pid);
    if (group === null || !groupAlive(group))
      throw new InfrastructureNotFoundError(`process ${pid} not found`);
    // As Prefect's runner: tell the engine the coming SIGTERM is a cancellation (it then cancels
    // the run itself, with its on_cancellation hooks); no answer → the signal all the same.
    const token = this.byPid.get(pid)?.controlToken;
    if (token) await this.control.cancel(token);
    signalGroup(group, "SIGTERM");
    if (await groupGone(group, graceSeconds)) return;
    signalGroup(group, "SIGKILL");
    await groupGone(group, 10);
  }

  /** Kills every process still running (stack shutdown). */
  async stopAll(): Promise<void> {
    this.control.close();
    for (const t of this.byPid.values())
      if (t.exitCode === null && t.child.pid) signalGroup(t.child.pid, "SIGKILL");
  }

  /**
   * A process pid this host cannot judge: another host's (`<host>:<pid>`), or a bare number, as
   * Prefect's own process worker records it. Anything else names no process at all.
   */
  private isForeign(pid: string): boolean {
    const parts = pidParts(pid);
    return parts !== null && parts.host !== this.host;
  }

  /** The process group a pid of this host leads (whether or not its leader has exited). */
  private groupOf(pid: string): number | null {
    const parts = pidParts(pid);
    return parts !== null && parts.host === this.host ? parts.num : null;
  }

  private osPid(pid: string): number | null {
    const tracked = this.byPid.get(pid);
    return tracked && tracked.exitCode !== null ? null : this.groupOf(pid);
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

/** True while any process of the group `pgid` is alive and ours to signal (EPERM: a reused number). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to `seconds` for the group to be gone; true when it is. */
async function groupGone(pgid: number, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
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

/** `<host>:<n>` (this backend's pids) or a bare `<n>` (Prefect's process worker's; host null). */
function pidParts(pid: string): { host: string | null; num: number } | null {
  const match = /^(?:([^:]+):)?(\d+)$/.exec(pid);
  return match ? { host: match[1] ?? null, num: Number(match[2]) } : null;
}
