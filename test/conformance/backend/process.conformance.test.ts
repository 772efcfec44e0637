/**
 * LocalBackend (`process` pools, core/backends/process/) against the backend conformance suite.
 * A job's command waits for a per-run file, then exits with the code written in it: `finish`
 * writes the code.
 *
 * Declared limits:
 * - no shared cloud: what a process backend knows (token → process) lives in its own memory, so
 *   `cold()` returns the same instance. The local stack is one process; a real cold instance would
 *   not find what another started (after a restart, `inspect` asks the OS; `find` knows nothing).
 * - an ambiguous start cannot happen to a spawn: the harness wraps `start` so that its next call
 *   spawns, then throws a TransientError (retryable: `mayHaveStarted` says true for it).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { LocalBackend } from "../../../core/backends/process/index.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { type BackendHarness, describeBackendConformance, newFlowRun } from "./suite.ts";

const dir = mkdtempSync(join(tmpdir(), "pp-conformance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Waits for the file named by $0 to be non-empty, then exits with the code it holds. */
const WAIT_THEN_EXIT = `while [ ! -s "$0" ]; do sleep 0.05; done; exit "$(cat "$0")"`;

async function processHarness(): Promise<BackendHarness> {
  const backend = new LocalBackend({ write: () => {} });
  let ambiguous = false;
  const start = backend.start.bind(backend);
  backend.start = async (request, token, ctx) => {
    const started = await start(request, token, ctx);
    if (ambiguous) {
      ambiguous = false;
      throw new TransientError("conformance: the start was applied, its answer lost", 1);
    }
    return started;
  };
  const exitFile = (flowRunId: string) => join(dir, flowRunId);
  return {
    backend,
    cold: () => backend,
    async newJob() {
      const run = newFlowRun();
      const config = {
        command: `sh -c '${WAIT_THEN_EXIT}' ${exitFile(run.id)}`,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        labels: {},
        name: run.name,
        stream_output: false,
        working_dir: null,
      };
      return { config, ctx: { flowRun: run, pool: { name: "conformance-process", type: "process" } } };
    },
    failNextStartAmbiguously() {
      ambiguous = true;
    },
    async count() {
      return backend.started.length;
    },
    async finish(job, _pid, exitCode) {
      writeFileSync(exitFile(job.ctx.flowRun.id), String(exitCode));
    },
    unknownPid: () => `${hostname()}:999999999`,
    settleMs: 1000,
    async teardown() {
      await backend.stopAll();
    },
  };
}

describeBackendConformance(
  "process (LocalBackend; cold() is the same instance: no shared cloud)",
  processHarness,
);
