/**
 * @module
 * The Vertex AI port, with its code loaded on the first call instead of at import, as
 * ./lazyCloudRun.ts does for Cloud Run: google-gax and the aiplatform client (79 MB installed) are
 * paid by the first Vertex job of an instance, never by a cold start of the tick, webhook or cron
 * (the package builds ./vertexApi.ts into its own chunk).
 */
import type { GcpCredentialsData, VertexApi, VertexApiFactory } from "../../core/backends/vertex-ai/port.ts";
import type { GcpBaseConfig } from "./cloudRunApi.ts";

export function lazyVertexApiFactory(base: GcpBaseConfig = {}): VertexApiFactory {
  let loading: Promise<VertexApiFactory> | undefined;
  const factory = () => {
    loading ??= import("./vertexApi.ts").then((m) => m.vertexApiFactory(base));
    loading.catch(() => {
      loading = undefined; // a failed load is tried again on the next call
    });
    return loading;
  };
  return (credentials: GcpCredentialsData | null, region: string): VertexApi => {
    const api = async () => (await factory())(credentials, region);
    return {
      project: async () => (await api()).project(),
      serviceAccountEmail: async () => (await api()).serviceAccountEmail(),
      createCustomJob: async (parent, job) => (await api()).createCustomJob(parent, job),
      getCustomJob: async (name) => (await api()).getCustomJob(name),
      listCustomJobs: async (parent, filter) => (await api()).listCustomJobs(parent, filter),
      cancelCustomJob: async (name) => (await api()).cancelCustomJob(name),
    };
  };
}
