/**
 * functions/azure/aciApi.ts without a network: the credential each choice builds (never the secret
 * in a printable place), client caching per credential and subscription, and the SDK container
 * group → ARM JSON mapping the backend reads.
 */
import { ClientSecretCredential, DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { azureCredentialOf } from "../../../core/backends/azure-container-instance/credentials.ts";
import { aciApiFactory, credentialFor, groupView } from "../../../functions/azure/aciApi.ts";

const SECRET = "client-secret-value-9";

describe("Azure adapter", () => {
  it("all three credential fields → ClientSecretCredential; none → DefaultAzureCredential", () => {
    const secret = credentialFor(
      azureCredentialOf({ client_id: "app", tenant_id: "tenant", client_secret: SECRET }),
    );
    expect(secret).toBeInstanceOf(ClientSecretCredential);
    expect(credentialFor(azureCredentialOf(null))).toBeInstanceOf(DefaultAzureCredential);
  });

  it("one port per credential and subscription; a changed secret gets new clients", () => {
    const factory = aciApiFactory({ credential: { getToken: async () => null } });
    const choice = azureCredentialOf({ client_id: "app", tenant_id: "tenant", client_secret: SECRET });
    const a = factory(choice, "sub-1");
    expect(
      factory(azureCredentialOf({ client_id: "app", tenant_id: "tenant", client_secret: SECRET }), "sub-1"),
    ).toBe(a);
    expect(factory(choice, "sub-2")).not.toBe(a);
    expect(
      factory(
        azureCredentialOf({ client_id: "app", tenant_id: "tenant", client_secret: "rotated-secret" }),
        "sub-1",
      ),
    ).not.toBe(a);
    expect(factory(azureCredentialOf(null), "sub-1")).not.toBe(a);
  });

  it("an SDK container group maps to ARM's JSON shape (instance view, provisioning state, tags)", () => {
    const view = groupView({
      name: "g",
      tags: { t: "v" },
      provisioningState: "Succeeded",
      osType: "Linux",
      containers: [
        {
          name: "main",
          image: "i",
          resources: { requests: { cpu: 1, memoryInGB: 1 } },
          instanceView: {
            restartCount: 0,
            currentState: {
              state: "Terminated",
              exitCode: 4,
              detailStatus: "Completed",
              finishTime: new Date(0),
            },
          },
        },
      ],
    } as never);
    expect(view).toEqual({
      name: "g",
      tags: { t: "v" },
      properties: {
        provisioningState: "Succeeded",
        containers: [
          {
            name: "main",
            properties: {
              instanceView: {
                restartCount: 0,
                events: undefined,
                currentState: {
                  state: "Terminated",
                  exitCode: 4,
                  detailStatus: "Completed",
                  startTime: undefined,
                  finishTime: "1970-01-01T00:00:00.000Z",
                },
              },
            },
          },
        ],
        instanceView: undefined,
      },
    });
  });
});
