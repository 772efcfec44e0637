/** Prefect's credential rule for `aci_credentials` (prefect_azure/credentials.py), and secret hygiene. */
import { describe, expect, it } from "vitest";
import { azureCredentialOf } from "../../../core/backends/azure-container-instance/credentials.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";

const SECRET = "super-secret-value-42";

describe("aci_credentials → credential", () => {
  it("absent, null or an empty block → the default credential (the function's managed identity)", () => {
    for (const value of [undefined, null, {}, { client_id: null, tenant_id: null, client_secret: null }])
      expect(azureCredentialOf(value as never)).toEqual({ kind: "default", options: {} });
  });

  it("all three → a client-secret credential; credential_kwargs pass through", () => {
    const choice = azureCredentialOf({
      client_id: "app",
      tenant_id: "tenant",
      client_secret: SECRET,
      credential_kwargs: { authority_host: "https://login.example" },
    });
    expect(choice).toMatchObject({ kind: "client-secret", clientId: "app", tenantId: "tenant" });
    expect(choice.kind === "client-secret" && choice.clientSecret()).toBe(SECRET);
    expect(choice.options).toEqual({ authority_host: "https://login.example" });
  });

  it("the secret never appears when the choice is serialised or printed", () => {
    const choice = azureCredentialOf({ client_id: "app", tenant_id: "tenant", client_secret: SECRET });
    expect(JSON.stringify(choice)).not.toContain(SECRET);
    expect(String(Object.values(choice))).not.toContain(SECRET);
  });

  it.each([[{ client_id: "app" }], [{ client_id: "app", tenant_id: "t" }], [{ client_secret: SECRET }]])(
    "some but not all of the three (%j) → Prefect's validation error, without the secret",
    (value) => {
      let error: unknown = null;
      try {
        azureCredentialOf(value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidJobConfigurationError);
      expect((error as Error).message).toBe(
        "aci_credentials: If any of `client_id`, `tenant_id`, or `client_secret` are provided, all must be provided.",
      );
      expect((error as Error).message).not.toContain(SECRET);
    },
  );

  it("wrong types are refused with the field named", () => {
    expect(() => azureCredentialOf("block")).toThrow(/aci_credentials: Input should be a valid dictionary/);
    expect(() => azureCredentialOf({ client_id: 1, tenant_id: "t", client_secret: "s" })).toThrow(
      /aci_credentials: client_id: Input should be a valid string/,
    );
  });
});
