/** The test harness starts servers with the local stack's own launcher. */
export * from "../../functions/local/prefectServer.ts";
