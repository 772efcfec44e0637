/**
 * @module
 * `npm run package:azure`: the Function App package in `.build/azure/`, offline — host.json
 * (./hostJson.ts), the functions bundled by esbuild from functions/azure/index.ts (ESM, code
 * split: each handler and the SDKs it needs load on its first invocation), and a package.json
 * with no dependencies at all (everything is in the bundle; `@azure/functions-core` is the
 * worker's own module, left external). Zip the directory for `WEBSITE_RUN_FROM_PACKAGE` /
 * Terraform's `zip_deploy_file`. Prints each file's size; exits non-zero if a bundle is over 1 MB.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { hostJson } from "./hostJson.ts";

export const REPO = resolve(import.meta.dirname, "..", "..", "..");
export const OUT_DIR = join(REPO, ".build", "azure");
export const BUNDLE_LIMIT_BYTES = 1_000_000;

/** ESM output still meets CommonJS dependencies that `require` node built-ins. */
const REQUIRE_SHIM = `import { createRequire as __ppCreateRequire } from "node:module"; const require = __ppCreateRequire(import.meta.url);`;

export interface PackageResult {
  dir: string;
  entry: string;
  files: { file: string; bytes: number }[];
}

export async function packageAzure(outDir = OUT_DIR): Promise<PackageResult> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, "dist"), { recursive: true });
  await build({
    entryPoints: [join(REPO, "functions", "azure", "index.ts")],
    outdir: join(outDir, "dist"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    legalComments: "none",
    // Error class names are part of the messages (core/shared/errors.ts describeError).
    keepNames: true,
    external: ["@azure/functions-core"],
    banner: { js: REQUIRE_SHIM },
    chunkNames: "chunks/[name]-[hash]",
    logLevel: "warning",
  });
  writeFileSync(join(outDir, "host.json"), `${JSON.stringify(hostJson(), null, 2)}\n`);
  const pkg = {
    name: "pushpool-azure-functions",
    version: "0.1.0",
    private: true,
    type: "module",
    main: "dist/index.js",
    engines: { node: ">=20" },
    dependencies: {},
  };
  writeFileSync(join(outDir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  const files = listFiles(outDir).map((file) => ({ file, bytes: statSync(join(outDir, file)).size }));
  return { dir: outDir, entry: join(outDir, "dist", "index.js"), files };
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(dir, join(prefix, d.name)) : [join(prefix, d.name)],
  );
}

/** The JavaScript files of a package over the limit. */
export function oversized(result: PackageResult): PackageResult["files"] {
  return result.files.filter((f) => f.file.endsWith(".js") && f.bytes > BUNDLE_LIMIT_BYTES);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await packageAzure();
  for (const { file, bytes } of result.files) console.log(`${String(bytes).padStart(9)}  ${file}`);
  console.log(`package: ${result.dir}`);
  const over = oversized(result);
  if (over.length) {
    console.error(`over ${BUNDLE_LIMIT_BYTES} bytes: ${over.map((f) => f.file).join(", ")}`);
    process.exit(1);
  }
}
