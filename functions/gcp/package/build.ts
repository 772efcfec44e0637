/**
 * @module
 * `npm run package:gcp`: the Cloud Functions (2nd gen) source, offline, in `.build/gcp/` — the one
 * package every GCP function deploys from (infra/gcp zips the folder; each function picks its
 * entry point: dispatch, tick, webhook, cron, events).
 *
 * The shape measured fastest in ../../../../shared/reference/ecosystem.md §2 ("best"): one ESM
 * bundle (esbuild, minified, node20) of ../index.ts with Cloud Run's deep client import and the REST
 * fallback (../cloudRunApi.ts), and external:
 * - `@google-cloud/functions-framework` — the runtime's own copy must see the registrations
 *   (bundled, it fails with "Function 'dispatch' is not defined in the provided module");
 * - `@google-cloud/aiplatform` — 79 MB; the Vertex backend loads it lazily, on its first job;
 * - `@google-cloud/tasks` and `@google-cloud/pubsub` — loaded on the first send (../tasksQueue.ts,
 *   ../pubsubQueue.ts); the Tasks client reads its `protos.json` beside its own files at run time;
 * and installed beside it, `@google-cloud/run` for its `protos.json`, read at run time
 * (../protoJson.ts) on the first CreateJob, not at start (its clients are in the bundle).
 * The deployable package.json names them at the versions this repository pins; the Cloud Functions
 * build installs them. Prints each file's size; exits non-zero on a build error.
 */
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

export const ROOT = resolve(import.meta.dirname, "..", "..", "..");
export const OUT_DIR = join(ROOT, ".build", "gcp");
export const BUNDLE = "index.mjs";
/** Packages the deployed function installs instead of carrying in the bundle. */
export const EXTERNAL = [
  "@google-cloud/functions-framework",
  "@google-cloud/aiplatform",
  "@google-cloud/tasks",
  "@google-cloud/pubsub",
];
/** Installed beside the bundle for data read at run time: Cloud Run's `protos.json` (../protoJson.ts). */
export const RUNTIME_DATA = ["@google-cloud/run"];

/** Node built-ins and `require` for the CommonJS packages inside an ESM bundle. */
const BANNER = [
  'import { createRequire as __ppCreateRequire } from "node:module";',
  'import { fileURLToPath as __ppFileURLToPath } from "node:url";',
  'import { dirname as __ppDirname } from "node:path";',
  "const require = __ppCreateRequire(import.meta.url);",
  "const __filename = __ppFileURLToPath(import.meta.url);",
  "const __dirname = __ppDirname(__filename);",
].join("\n");

/**
 * google-gax loads the static protobufjs code of the IAM and Locations APIs at import only to
 * re-export it (`IamProtos`, `LocationProtos`): 315 kB no Cloud Run call uses (the clients'
 * Locations/IAM helpers read the `.json` protos instead). The operations protos stay: the clients'
 * `check…Progress` use them.
 */
const unusedGaxProtos: Plugin = {
  name: "unused-gax-protos",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/protos\/(iam_service|locations)$/ }, (args) =>
      /google-gax/.test(args.importer) ? { path: args.path, namespace: "unused-gax-protos" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "unused-gax-protos" }, () => ({
      contents: "module.exports = {};",
      loader: "js",
    }));
  },
};

async function versionOf(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const pinned = manifest.dependencies?.[name];
  if (pinned) return pinned;
  const installed = JSON.parse(await readFile(join(ROOT, "node_modules", name, "package.json"), "utf8")) as {
    version: string;
  };
  return installed.version;
}

export async function packageGcp(): Promise<{ file: string; bytes: number }[]> {
  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, "functions", "gcp", "index.ts")],
    outdir: OUT_DIR,
    entryNames: "index",
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    minify: true,
    // Class names are part of messages (core's describeError: `TransientError: …`, as Prefect shows them).
    keepNames: true,
    legalComments: "none",
    external: EXTERNAL,
    banner: { js: BANNER },
    logLevel: "warning",
    metafile: true,
    plugins: [unusedGaxProtos],
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.length} error(s)`);
  const dependencies: Record<string, string> = {};
  for (const name of [...EXTERNAL, ...RUNTIME_DATA]) dependencies[name] = await versionOf(name);
  const manifest = {
    name: "pushpool-gcp-functions",
    private: true,
    type: "module",
    main: BUNDLE,
    engines: { node: ">=20" },
    dependencies,
  };
  await writeFile(join(OUT_DIR, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  // Beside the package, not in it (infra/gcp zips the whole folder).
  await writeFile(join(OUT_DIR, "..", "gcp-meta.json"), JSON.stringify(result.metafile));
  const chunks = Object.keys(result.metafile.outputs)
    .map((out) => relative(OUT_DIR, resolve(ROOT, out)))
    .filter((out) => out !== BUNDLE)
    .sort();
  const files = [BUNDLE, ...chunks, "package.json"];
  return await Promise.all(
    files.map(async (file) => ({ file, bytes: (await stat(join(OUT_DIR, file))).size })),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  packageGcp().then(
    (files) => {
      for (const { file, bytes } of files)
        console.log(`.build/gcp/${file}  ${bytes.toLocaleString("en")} bytes`);
    },
    (error: unknown) => {
      console.error(`package:gcp failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
