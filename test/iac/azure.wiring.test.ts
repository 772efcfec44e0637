// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions (`${var.x}`), not JavaScript templates.
/**
 * infra/azure, parsed (bc-python-hcl2 from .venv-iac/) and checked against what the functions read
 * (functions/azure/env.ts) and against the deployment's promises: secrets only as Key Vault
 * references, the poison queue declared and watched, no Owner/Contributor and nothing at
 * subscription scope, identity assignment only on the pools' identities, HTTPS/TLS 1.2 everywhere.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { AZURE_COMMON_ENV, AZURE_FUNCTION_ENV } from "../../functions/azure/env.ts";
import {
  attr,
  type Body,
  block,
  one,
  readTerraform,
  resource,
  type TerraformModel,
  terraformText,
} from "./hcl.ts";

const SECRET_NAMES = new Set([
  "PREFECT_API_KEY",
  "PREFECT_API_AUTH_STRING",
  "PUSHPOOL_WEBHOOK_KEYS",
  "PUSHPOOL_WEBHOOK_SECRET",
]);
const FUNCTIONS = Object.keys(AZURE_FUNCTION_ENV) as (keyof typeof AZURE_FUNCTION_ENV)[];

let tf: TerraformModel;
let text: string;
let plain: Record<string, unknown>;
let secret: Record<string, unknown>;

beforeAll(async () => {
  tf = await readTerraform("infra/azure");
  text = await terraformText("infra/azure");
  plain = tf.locals.plain_settings as Record<string, unknown>;
  secret = tf.locals.secret_settings as Record<string, unknown>;
}, 60_000);

describe("infra/azure: the Function App's settings", () => {
  it("the app's settings are the plain settings plus a Key Vault reference per secret", () => {
    const app = resource(tf, "azurerm_linux_function_app", "this");
    expect(attr(app, "app_settings")).toBe("${local.app_settings}");
    const merged = String(tf.locals.app_settings);
    expect(merged).toMatch(
      /^\$\{merge\(local\.plain_settings,\{for name , secret in local\.secret_settings : /,
    );
    expect(merged).toContain(
      '"@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.this.vault_uri}secrets/${secret}/)"',
    );
    expect(merged).toContain('if secret != \\"\\"'.replace(/\\/g, ""));
    expect(attr(app, "key_vault_reference_identity_id")).toBe("${azurerm_user_assigned_identity.app.id}");
  });

  it.each(FUNCTIONS)("%s gets every setting its env.ts list names", (name) => {
    const given = new Set([...Object.keys(plain), ...Object.keys(secret)]);
    for (const key of [...AZURE_COMMON_ENV, ...AZURE_FUNCTION_ENV[name]]) {
      expect(given.has(key), `${name} reads ${key}, which the app does not set`).toBe(true);
    }
  });

  it("sets no PUSHPOOL_/PREFECT_ setting that no function reads", () => {
    const read = new Set<string>([...AZURE_COMMON_ENV, ...Object.values(AZURE_FUNCTION_ENV).flat()]);
    const ours = [...Object.keys(plain), ...Object.keys(secret)].filter((k) =>
      /^(PUSHPOOL|PREFECT)_/.test(k),
    );
    expect(ours.filter((k) => !read.has(k))).toEqual([]);
  });

  it("secrets are Key Vault secret names only, never plain values", () => {
    for (const key of Object.keys(plain)) expect(SECRET_NAMES.has(key), `${key} is plain text`).toBe(false);
    expect(Object.keys(secret).sort()).toEqual([...SECRET_NAMES].sort());
    for (const value of Object.values(secret)) {
      expect(String(value)).toMatch(/^\$\{var\.[a-z_]+ \? \\?"?[a-z-]*\\?"? : \\?"?[a-z-]*\\?"?\}$/);
    }
    expect(text).not.toContain("azurerm_key_vault_secret");
    expect(tf.variables).not.toHaveProperty("prefect_api_key");
  });

  it("the identity-based storage connection names the queue service and the app's identity", () => {
    expect(plain.AzureWebJobsStorage__queueServiceUri).toBe(
      "${azurerm_storage_account.this.primary_queue_endpoint}",
    );
    expect(plain.AzureWebJobsStorage__credential).toBe("managedidentity");
    expect(plain.AZURE_CLIENT_ID).toBe("${azurerm_user_assigned_identity.app.client_id}");
    expect(plain.AzureWebJobsStorage__clientId).toBe(plain.AZURE_CLIENT_ID);
  });

  it("runs Node 22 on Linux, HTTPS only, TLS 1.2, no basic-auth publishing", () => {
    const app = resource(tf, "azurerm_linux_function_app", "this");
    expect(attr(app, "https_only")).toBe(true);
    expect(attr(app, "ftp_publish_basic_authentication_enabled")).toBe(false);
    expect(attr(app, "webdeploy_publish_basic_authentication_enabled")).toBe(false);
    const site = block(app, "site_config");
    expect(attr(site, "minimum_tls_version")).toBe("1.2");
    expect(attr(site, "ftps_state")).toBe("Disabled");
    expect(attr(block(site, "application_stack"), "node_version")).toBe("22");
    expect(attr(resource(tf, "azurerm_service_plan", "this"), "os_type")).toBe("Linux");
  });
});

describe("infra/azure: storage and queues", () => {
  it("the dispatch queue has its poison queue, the functions read its name, and the dequeue count is bounded", () => {
    expect(plain.PUSHPOOL_QUEUE_NAME).toBe("${azurerm_storage_queue.dispatch.name}");
    const poison = resource(tf, "azurerm_storage_queue", "dispatch_poison");
    expect(attr(poison, "name")).toBe("${azurerm_storage_queue.dispatch.name}-poison");
    expect(plain.AzureFunctionsJobHost__extensions__queues__maxDequeueCount).toBe(
      "${tostring(var.max_dequeue_count)}",
    );
    expect(attr<number>(tf.variables.max_dequeue_count as Body, "default")).toBeGreaterThan(0);
    // The poison function is one of the functions the app runs, reading the same queue name.
    expect(AZURE_FUNCTION_ENV.poison).toContain("PUSHPOOL_QUEUE_NAME");
  });

  it("no public blob access, no shared keys, TLS 1.2, HTTPS only", () => {
    const account = resource(tf, "azurerm_storage_account", "this");
    expect(attr(account, "allow_nested_items_to_be_public")).toBe(false);
    expect(attr(account, "shared_access_key_enabled")).toBe(false);
    expect(attr(account, "min_tls_version")).toBe("TLS1_2");
    expect(attr(account, "https_traffic_only_enabled")).toBe(true);
    expect(attr(resource(tf, "azurerm_storage_container", "package"), "container_access_type")).toBe(
      "private",
    );
  });
});

describe("infra/azure: least privilege", () => {
  const assignments = () => Object.entries(tf.resources.azurerm_role_assignment ?? {});

  it("no Owner, Contributor or User Access Administrator, and no assignment at subscription scope", () => {
    expect(text).not.toMatch(/"(Owner|Contributor|User Access Administrator)"/);
    const roleNames = Object.values(tf.locals.own_roles as Record<string, Body>).map((r) => String(r.role));
    for (const role of roleNames) expect(role).not.toMatch(/^(Owner|Contributor)$/);
    for (const [name, a] of assignments()) {
      const scope = String(attr(a, "scope"));
      expect(scope, name).not.toMatch(/subscription_scope|^\/subscriptions\/\$\{var\.subscription_id\}$/);
      expect(scope, name).toMatch(/^\$\{(each\.value(\.scope)?|azurerm_key_vault\.this\.id)\}$/);
    }
  });

  it("container groups and deployments only in the pools' resource groups", () => {
    const aci = resource(tf, "azurerm_role_assignment", "aci");
    expect(attr(aci, "for_each")).toBe("${toset(var.pool_resource_group_ids)}");
    const role = resource(tf, "azurerm_role_definition", "aci");
    expect(attr(role, "assignable_scopes")).toBe("${var.pool_resource_group_ids}");
    const actions = attr<string[]>(block(role, "permissions"), "actions");
    for (const action of actions) {
      expect(action).toMatch(
        /^Microsoft\.(ContainerInstance|Resources\/deployments|Resources\/subscriptions\/resourceGroups\/read)/,
      );
      expect(action).not.toContain("*");
    }
    const validation = String(
      attr(block(tf.variables.pool_resource_group_ids as Body, "validation"), "condition"),
    );
    expect(validation).toContain("resourceGroups");
  });

  it("assign/action only on the identities the pools name, and in no other role", () => {
    const definitions = Object.entries(tf.resources.azurerm_role_definition ?? {});
    const withAssign = definitions.filter(([, d]) =>
      attr<string[]>(block(d, "permissions"), "actions").some((a) =>
        a.includes("userAssignedIdentities/assign"),
      ),
    );
    expect(withAssign.map(([n]) => n)).toEqual(["assign_identity"]);
    expect(attr(block(withAssign[0]?.[1], "permissions"), "actions")).toEqual([
      "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
    ]);
    expect(attr(resource(tf, "azurerm_role_assignment", "assign_identity"), "for_each")).toBe(
      "${toset(var.pool_identity_ids)}",
    );
  });

  it("pins the azurerm provider to one version", () => {
    const providers = one<Body>(attr<Body>(tf.terraform[0], "required_providers"));
    for (const name of ["azurerm", "archive"]) {
      expect(one<Body>(providers[name]).version, name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});
