/**
 * @module
 * A warm process (a Lambda instance, the local stack) reads the same flow and work pool for every
 * run of a burst. This decorator keeps those two reads for a short time (flows never change name;
 * pools rarely change), single-flight, so a burst of dispatches sends one request where it sent
 * fifty. Deployments are never kept: their job variables must be fresh; concurrent reads of one
 * deployment (the records of one batch) share the request in flight, which is as fresh as any.
 * Flow runs are never shared: their state is what the claim decides on.
 */
import type { Clock } from "../ports/clock.ts";
import type { PrefectApi } from "./api.ts";

export interface ReadCacheOptions {
  clock: Clock;
  /** How long a flow read is reused (default 5 minutes). */
  flowTtlMs?: number;
  /** How long a work-pool read is reused (default 10 s). */
  poolTtlMs?: number;
}

export function withReadCache(api: PrefectApi, options: ReadCacheOptions): PrefectApi {
  const flows = cache<Awaited<ReturnType<PrefectApi["readFlow"]>>>(
    options.clock,
    options.flowTtlMs ?? 300_000,
  );
  const pools = cache<Awaited<ReturnType<PrefectApi["readWorkPool"]>>>(
    options.clock,
    options.poolTtlMs ?? 10_000,
  );
  const deployments = new Map<string, ReturnType<PrefectApi["readDeployment"]>>();
  const readDeployment = (target: PrefectApi, id: string) => {
    let pending = deployments.get(id);
    if (!pending) {
      pending = target.readDeployment(id);
      deployments.set(id, pending);
      const forget = () => deployments.delete(id);
      pending.then(forget, forget);
    }
    return pending;
  };
  return new Proxy(api, {
    get(target, prop, receiver) {
      if (prop === "readDeployment") return (id: string) => readDeployment(target, id);
      if (prop === "readFlow") return (id: string) => flows.get(id, () => target.readFlow(id));
      if (prop === "readWorkPool") return (name: string) => pools.get(name, () => target.readWorkPool(name));
      if (prop === "updateWorkPoolTemplate")
        return async (name: string, template: Parameters<PrefectApi["updateWorkPoolTemplate"]>[1]) => {
          pools.drop(name);
          await target.updateWorkPoolTemplate(name, template);
          pools.drop(name);
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function cache<T>(clock: Clock, ttlMs: number) {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return {
    get(key: string, load: () => Promise<T>): Promise<T> {
      const now = clock.now().getTime();
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs) return hit.value;
      const value = load();
      entries.set(key, { at: now, value });
      // Failures and "not found" are not remembered: the next call asks again.
      value.then((v) => v === null && entries.delete(key)).catch(() => entries.delete(key));
      return value;
    },
    drop(key: string) {
      entries.delete(key);
    },
  };
}
