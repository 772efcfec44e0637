/**
 * One real Prefect server for the whole test run (vitest globalSetup). Tests read its URL with
 * `inject("prefectApiUrl")`. A server that cannot start fails the run with the reason.
 */
import type { TestProject } from "vitest/node";
import { startPrefectServer } from "./prefectServer.ts";

declare module "vitest" {
  export interface ProvidedContext {
    prefectApiUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startPrefectServer({
    // A rejected claim (deployment concurrency) comes back after 2 s instead of 30 s.
    env: { PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS: "2" },
  });
  project.provide("prefectApiUrl", server.apiUrl);
  return async () => {
    await server.stop();
  };
}
