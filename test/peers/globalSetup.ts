/**
 * The real peers for the whole test run (vitest globalSetup), started once and in parallel: one
 * Prefect server and one moto server. Tests read their addresses with `inject("prefectApiUrl")` and
 * `inject("motoEndpoint")`. A peer that cannot start fails the run with the reason.
 */
import type { TestProject } from "vitest/node";
import { startMotoServer } from "./motoServer.ts";
import { startPrefectServer } from "./prefectServer.ts";

declare module "vitest" {
  export interface ProvidedContext {
    prefectApiUrl: string;
    motoEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [prefect, moto] = await Promise.allSettled([
    startPrefectServer({
      // A rejected claim (deployment concurrency) comes back after 2 s instead of 30 s.
      env: { PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS: "2" },
    }),
    startMotoServer(),
  ]);
  if (prefect.status === "rejected" || moto.status === "rejected") {
    if (prefect.status === "fulfilled") await prefect.value.stop();
    if (moto.status === "fulfilled") await moto.value.stop();
    const reasons = [prefect, moto].filter((r) => r.status === "rejected").map((r) => String(r.reason));
    throw new Error(`a test peer could not start:\n${reasons.join("\n")}`);
  }
  project.provide("prefectApiUrl", prefect.value.apiUrl);
  project.provide("motoEndpoint", moto.value.endpoint);
  return async () => {
    await Promise.all([prefect.value.stop(), moto.value.stop()]);
  };
}
