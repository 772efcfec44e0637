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
  const server = await startPrefectServer();
  project.provide("prefectApiUrl", server.apiUrl);
  return async () => {
    await server.stop();
  };
}
