/**
 * @module
 * The Cloud Run port, with the Google client code loaded on the first call instead of at import:
 * google-gax, gRPC and protobufjs take most of a cold start's time, and tick, webhook and cron
 * invocations often never call Cloud Run. The package builds ./cloudRunApi.ts into its own chunk
 * (functions/gcp/package/build.ts), fetched by the first call of any method.
 */
import type {
  CloudRunApi,
  CloudRunApiFactory,
  GcpCredentialsData,
} from "../../core/backends/cloud-run-v2/port.ts";
import type { GcpBaseConfig } from "./cloudRunApi.ts";

export function lazyCloudRunApiFactory(base: GcpBaseConfig = {}): CloudRunApiFactory {
  let loading: Promise<CloudRunApiFactory> | undefined;
  const factory = () => {
    loading ??= import("./cloudRunApi.ts").then((m) => m.cloudRunApiFactory(base));
    loading.catch(() => {
      loading = undefined; // a failed load is tried again on the next call
    });
    return loading;
  };
  return (credentials: GcpCredentialsData | null): CloudRunApi => {
    const api = async () => (await factory())(credentials);
    return {
      project: async () => (await api()).project(),
      createJob: async (parent, jobId, job) => (await api()).createJob(parent, jobId, job),
      getJob: async (name) => (await api()).getJob(name),
      runJob: async (name) => (await api()).runJob(name),
      getExecution: async (name) => (await api()).getExecution(name),
      listExecutions: async (job) => (await api()).listExecutions(job),
      deleteExecution: async (name) => (await api()).deleteExecution(name),
      deleteJob: async (name) => (await api()).deleteJob(name),
    };
  };
}
