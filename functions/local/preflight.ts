/**
 * @module
 * `pushpool local`'s start-up checks: the Prefect API checks of core/runtime/preflight.ts (missing
 * pools created with `--type`, as `prefect worker start --type` does) and, at the same time, the
 * `process` backend's Python (it can import prefect). Throws a PreflightError whose message is the
 * one line to show — the API's first, then the interpreter's.
 */
import { LocalBackend } from "../../core/backends/process/index.ts";
import { processSettingsFromEnv } from "../../core/backends/process/settings.ts";
import type { Logger } from "../../core/ports/logger.ts";
import { nodeFetch } from "../../core/prefect/nodeFetch.ts";
import type { Config } from "../../core/runtime/config.ts";
import { assertPreflight, PreflightError, type PreflightResult } from "../../core/runtime/preflight.ts";

export interface LocalPreflightOptions {
  config: Config;
  env: Record<string, string | undefined>;
  /** `--type`: create missing pools of this type. */
  createType?: string;
  logger?: Logger;
}

export async function localPreflight(o: LocalPreflightOptions): Promise<PreflightResult> {
  const backend = new LocalBackend(processSettingsFromEnv(o.env));
  const python = backend.checkPython();
  const api = assertPreflight({
    ...o.config.prefect,
    pools: o.config.pools,
    servedTypes: [backend.type],
    createType: o.createType,
    typeOption: true,
    fetch: nodeFetch,
    logger: o.logger,
  });
  const [apiResult, pythonRow] = await Promise.allSettled([api, python]);
  if (apiResult.status === "rejected") throw apiResult.reason;
  if (pythonRow.status === "rejected") throw pythonRow.reason;
  if (!pythonRow.value.ok) throw new PreflightError(pythonRow.value);
  for (const row of apiResult.value.rows)
    if (row.detail.startsWith("created")) o.logger?.info(`${row.check} ${row.detail}`);
  return apiResult.value;
}
