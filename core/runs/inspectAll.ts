/**
 * @module
 * Inspecting the infrastructure of many runs at once, for the reconcile of a tick: through the
 * backend's `inspectMany` when it has one (ECS: one DescribeTasks per cluster and 100 tasks), else
 * one `inspect` at a time, as before. One outcome per item, in order; a failure is the outcome of
 * the items it concerns, never thrown.
 */
import type { Backend, InspectItem, InspectOutcome } from "../ports/backend.ts";

export async function inspectAll(backend: Backend, items: readonly InspectItem[]): Promise<InspectOutcome[]> {
  if (items.length === 0) return [];
  if (backend.inspectMany) {
    try {
      const found = await backend.inspectMany(items);
      if (found.length === items.length) return found;
      const error = new Error(`inspectMany answered ${found.length} results for ${items.length} items`);
      return items.map(() => ({ error }));
    } catch (error) {
      return items.map(() => ({ error }));
    }
  }
  const out: InspectOutcome[] = [];
  for (const item of items) {
    try {
      out.push({ status: await backend.inspect(item.pid, item.config, item.ctx) });
    } catch (error) {
      out.push({ error });
    }
  }
  return out;
}
