/**
 * A GcpCredentials key without `private_key` is refused when the Cloud Run port is made, with
 * Prefect's message, and leaves no rejection behind: given to the SDK clients, it made the first
 * call fail twice — once to the caller and once in a background stub, as an unhandled rejection,
 * which ends a function's process.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { cloudRunApi } from "../../../functions/gcp/cloudRunApi.ts";

const unhandled: unknown[] = [];
const record = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on("unhandledRejection", record);
});
afterEach(() => {
  process.off("unhandledRejection", record);
});

it("a key without private_key → InvalidJobConfigurationError at once, no unhandled rejection", async () => {
  const base = { apiEndpoint: "127.0.0.1", port: 9, protocol: "http" as const };
  const make = () =>
    cloudRunApi(
      { service_account_info: { client_email: "a@b.iam.gserviceaccount.com", project_id: "p" } },
      base,
    );
  expect(make).toThrow(InvalidJobConfigurationError);
  expect(make).toThrow("The private_key field was not found in the service account info.");
  await new Promise((r) => setTimeout(r, 500));
  expect(unhandled).toEqual([]);
});
