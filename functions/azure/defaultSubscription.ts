/**
 * @module
 * `PUSHPOOL_AZURE_SUBSCRIPTION_ID`: the subscription a pool's jobs use when its job configuration
 * names none (an `azure-container-instance` template whose `subscription_id` is unset, null or
 * empty). A pool that names one keeps it. Applied around the backend, to every call that reads a
 * job configuration, so prepare, inspect, kill and cleanup agree.
 */
import type { JobConfiguration } from "../../core/job/types.ts";
import type { Backend } from "../../core/ports/backend.ts";

const READS_CONFIG_FIRST = new Set(["prepare", "doctor"]);
const READS_CONFIG_SECOND = new Set(["inspect", "kill", "cleanup"]);

export function withDefaultSubscription<R, L>(
  backend: Backend<R, L>,
  subscriptionId: string | undefined,
): Backend<R, L> {
  if (!subscriptionId) return backend;
  const fill = (config: JobConfiguration): JobConfiguration => {
    const value = config.subscription_id;
    return value === undefined || value === null || value === ""
      ? { ...config, subscription_id: subscriptionId }
      : config;
  };
  return new Proxy(backend, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const name = String(prop);
      if (READS_CONFIG_FIRST.has(name))
        return (config: JobConfiguration, ...rest: unknown[]) => value.call(target, fill(config), ...rest);
      if (READS_CONFIG_SECOND.has(name))
        return (pid: string, config: JobConfiguration, ...rest: unknown[]) =>
          value.call(target, pid, fill(config), ...rest);
      return value.bind(target);
    },
  });
}
