import { describe, expect, it, vi } from "vitest";
import { chooseProject, readGcpCredentials } from "../../../core/backends/cloud-run-v2/credentials.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";

const KEY = {
  type: "service_account",
  project_id: "key-project",
  private_key: "-----BEGIN PRIVATE KEY-----secret",
};
const never = async () => {
  throw new Error("must not be asked");
};

describe("readGcpCredentials: the GcpCredentials block as prefect-gcp reads it", () => {
  it("no block or an empty one → Application Default Credentials", () => {
    expect(readGcpCredentials(null)).toEqual({ kind: "adc", project: null });
    expect(readGcpCredentials({})).toEqual({ kind: "adc", project: null });
    expect(readGcpCredentials({ project: "p", service_account_info: null })).toEqual({
      kind: "adc",
      project: "p",
    });
  });

  it("service_account_info as an object or as a JSON string", () => {
    expect(readGcpCredentials({ service_account_info: KEY })).toEqual({
      kind: "key",
      key: KEY,
      project: null,
    });
    expect(readGcpCredentials({ service_account_info: JSON.stringify(KEY), project: "b" })).toEqual({
      kind: "key",
      key: KEY,
      project: "b",
    });
  });

  it("service_account_file", () => {
    expect(readGcpCredentials({ service_account_file: "/keys/sa.json" })).toEqual({
      kind: "keyFile",
      file: "/keys/sa.json",
      project: null,
    });
  });

  it("refuses both sources, undecodable info and bad types — never echoing the key", () => {
    const both = () => readGcpCredentials({ service_account_info: KEY, service_account_file: "/k.json" });
    expect(both).toThrow(InvalidJobConfigurationError);
    expect(both).toThrow("Only one of service_account_info or service_account_file can be specified at once");
    const bad = () => readGcpCredentials({ service_account_info: '{"private_key": "-----BEGIN secret' });
    expect(bad).toThrow("Unable to decode service_account_info");
    try {
      bad();
    } catch (error) {
      expect((error as Error).message).not.toContain("secret");
    }
    expect(() => readGcpCredentials({ project: 42 as never })).toThrow(
      "project: Input should be a valid string",
    );
    expect(() => readGcpCredentials({ service_account_info: [1] as never })).toThrow("valid dictionary");
  });

  it("refuses a key without private_key (the SDK would fail later, in a background stub, as nobody's rejection)", () => {
    for (const info of [
      { client_email: "a@p", project_id: "p" },
      { ...KEY, private_key: "" },
      JSON.stringify({ client_email: "a@p", private_key: 7 }),
    ]) {
      const read = () => readGcpCredentials({ service_account_info: info as never });
      expect(read).toThrow(InvalidJobConfigurationError);
      expect(read).toThrow(
        "service_account_info: The private_key field was not found in the service account info.",
      );
    }
  });
});

describe("chooseProject: block, else the key's project_id, else ADC", () => {
  it("the block's project wins over everything", async () => {
    const detect = vi.fn(never);
    expect(await chooseProject({ kind: "key", key: KEY, project: "block" }, never, detect)).toBe("block");
    expect(await chooseProject({ kind: "adc", project: "block" }, never, detect)).toBe("block");
    expect(detect).not.toHaveBeenCalled();
  });

  it("a key's project_id (info or file) when the block names none", async () => {
    expect(await chooseProject({ kind: "key", key: KEY, project: null }, never, never)).toBe("key-project");
    const file = vi.fn(async () => ({ project_id: "file-project" }));
    expect(await chooseProject({ kind: "keyFile", file: "/k.json", project: null }, file, never)).toBe(
      "file-project",
    );
    expect(file).toHaveBeenCalledOnce();
  });

  it("ADC's project without a block project or key", async () => {
    expect(await chooseProject({ kind: "adc", project: null }, never, async () => "adc-project")).toBe(
      "adc-project",
    );
  });

  it("a precise error when nothing names a project (a key without project_id does not fall back to ADC)", async () => {
    await expect(chooseProject({ kind: "adc", project: null }, never, async () => null)).rejects.toThrow(
      /No GCP project: set `project` on the GcpCredentials block/,
    );
    const detect = vi.fn(async () => "adc");
    await expect(
      chooseProject({ kind: "key", key: { type: "x" }, project: null }, never, detect),
    ).rejects.toThrow("the service account key has no project_id");
    expect(detect).not.toHaveBeenCalled();
  });
});
