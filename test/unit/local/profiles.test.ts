/** Prefect profiles, by prefect/settings/sources.py's rules (ProfileSettingsTomlLoader, _get_profiles_path). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readPrefectProfile, withPrefectProfile } from "../../../functions/local/profiles.ts";

let dir: string;
let cwd: string;
let home: string;
const sources = () => ({ cwd, home });

function write(path: string, text: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const PROFILES = `active = "dev"

[profiles.dev]
PREFECT_API_URL = "http://dev:4200/api"
PREFECT_API_AUTH_STRING = "admin:pass"
PREFECT_CLIENT_MAX_RETRIES = 2
PREFECT_DEBUG_MODE = true

[profiles.prod]
PREFECT_API_URL = "https://api.prefect.cloud/api/accounts/a/workspaces/w"
PREFECT_API_KEY = "pnu_key"
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pushpool-profiles-"));
  cwd = join(dir, "project");
  home = join(dir, "home");
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("readPrefectProfile", () => {
  it("reads the active profile of $PREFECT_HOME/profiles.toml, values as environment strings", () => {
    const prefectHome = join(dir, "ph");
    write(join(prefectHome, "profiles.toml"), PROFILES);
    const profile = readPrefectProfile({ PREFECT_HOME: prefectHome }, sources());
    expect(profile).toEqual({
      path: join(prefectHome, "profiles.toml"),
      name: "dev",
      settings: {
        PREFECT_API_URL: "http://dev:4200/api",
        PREFECT_API_AUTH_STRING: "admin:pass",
        PREFECT_CLIENT_MAX_RETRIES: "2",
        PREFECT_DEBUG_MODE: "true",
      },
    });
  });

  it("defaults to ~/.prefect/profiles.toml", () => {
    write(join(home, ".prefect", "profiles.toml"), PROFILES);
    expect(readPrefectProfile({}, sources()).name).toBe("dev");
  });

  it("PREFECT_PROFILE chooses the profile over the file's 'active'", () => {
    write(join(home, ".prefect", "profiles.toml"), PROFILES);
    const profile = readPrefectProfile({ PREFECT_PROFILE: "prod" }, sources());
    expect(profile.name).toBe("prod");
    expect(profile.settings.PREFECT_API_KEY).toBe("pnu_key");
  });

  it("PREFECT_PROFILES_PATH, then prefect.toml's profiles_path, then pyproject's, then PREFECT_HOME", () => {
    const explicit = write(
      join(dir, "explicit.toml"),
      'active = "a"\n[profiles.a]\nPREFECT_API_URL = "http://explicit/api"\n',
    );
    const viaToml = write(
      join(dir, "toml.toml"),
      'active = "a"\n[profiles.a]\nPREFECT_API_URL = "http://toml/api"\n',
    );
    const viaPy = write(
      join(dir, "py.toml"),
      'active = "a"\n[profiles.a]\nPREFECT_API_URL = "http://py/api"\n',
    );
    const prefectHome = join(dir, "ph");
    write(
      join(prefectHome, "profiles.toml"),
      'active = "a"\n[profiles.a]\nPREFECT_API_URL = "http://home/api"\n',
    );
    const url = (env: Record<string, string>) => readPrefectProfile(env, sources()).settings.PREFECT_API_URL;
    expect(url({ PREFECT_HOME: prefectHome })).toBe("http://home/api");
    write(join(cwd, "pyproject.toml"), `[tool.prefect]\nprofiles_path = "${viaPy}"\n`);
    expect(url({ PREFECT_HOME: prefectHome })).toBe("http://py/api");
    write(join(cwd, "prefect.toml"), `profiles_path = "${viaToml}"\n`);
    expect(url({ PREFECT_HOME: prefectHome })).toBe("http://toml/api");
    expect(url({ PREFECT_HOME: prefectHome, PREFECT_PROFILES_PATH: explicit })).toBe("http://explicit/api");
  });

  it("no file: no settings and nothing to say (Prefect's default profile sets nothing pushpool reads)", () => {
    expect(readPrefectProfile({}, sources())).toEqual({ settings: {} });
  });

  it("an active profile the file lacks: no settings, and a warning naming where it was set", () => {
    const path = write(join(home, ".prefect", "profiles.toml"), PROFILES);
    const byEnv = readPrefectProfile({ PREFECT_PROFILE: "staging" }, sources());
    expect(byEnv.settings).toEqual({});
    expect(byEnv.warning).toBe(
      `active Prefect profile 'staging' set by PREFECT_PROFILE not found in ${path}; no profile settings used`,
    );
    write(path, 'active = "gone"\n[profiles.dev]\nPREFECT_API_URL = "http://dev/api"\n');
    expect(readPrefectProfile({}, sources()).warning).toMatch(/'gone' set in the profiles file not found/);
  });

  it("a file without 'active' and no PREFECT_PROFILE: no settings", () => {
    write(join(home, ".prefect", "profiles.toml"), '[profiles.dev]\nPREFECT_API_URL = "http://dev/api"\n');
    expect(readPrefectProfile({}, sources()).settings).toEqual({});
  });

  it("a file that is not TOML is ignored with a warning, as Prefect does", () => {
    const path = write(join(home, ".prefect", "profiles.toml"), "active = \n[[[");
    const profile = readPrefectProfile({}, sources());
    expect(profile.settings).toEqual({});
    expect(profile.warning).toContain(`Prefect profiles in ${path} are not valid TOML`);
  });

  it("Prefect's test mode reads no profile", () => {
    write(join(home, ".prefect", "profiles.toml"), PROFILES);
    expect(readPrefectProfile({ PREFECT_TEST_MODE: "1" }, sources())).toEqual({ settings: {} });
  });
});

describe("withPrefectProfile", () => {
  it("fills only what the environment leaves unset or blank: the environment wins", () => {
    write(join(home, ".prefect", "profiles.toml"), PROFILES);
    const { env } = withPrefectProfile(
      { PREFECT_API_URL: "http://from-env/api", PREFECT_API_AUTH_STRING: " ", OTHER: "x" },
      sources(),
    );
    expect(env.PREFECT_API_URL).toBe("http://from-env/api");
    expect(env.PREFECT_API_AUTH_STRING).toBe("admin:pass");
    expect(env.PREFECT_CLIENT_MAX_RETRIES).toBe("2");
    expect(env.OTHER).toBe("x");
  });
});
