import type { PrefectApi } from "../prefect/api.ts";
import type { JsonObject, WorkPool } from "../prefect/types.ts";

/**
 * Reads a work pool. A pool created without a base job template (`{}`, e.g. through the REST API)
 * gets its type's default template, as Prefect's worker does on start-up: read from the server's
 * worker metadata and written back to the pool.
 */
export async function loadPool(api: PrefectApi, name: string): Promise<WorkPool | null> {
  return await readPool(api, name, true);
}

/** Like {@link loadPool}, but never writes the default template back (for `pushpool render`). */
export async function loadPoolReadOnly(api: PrefectApi, name: string): Promise<WorkPool | null> {
  return await readPool(api, name, false);
}

async function readPool(api: PrefectApi, name: string, writeBack: boolean): Promise<WorkPool | null> {
  const pool = await api.readWorkPool(name);
  if (!pool) return null;
  const template = pool.base_job_template as JsonObject | undefined;
  if (template && Object.keys(template).length > 0) return pool;
  const fallback = await api.readDefaultBaseJobTemplate(pool.type);
  if (!fallback) return pool;
  if (writeBack) await api.updateWorkPoolTemplate(name, fallback);
  return { ...pool, base_job_template: fallback };
}
