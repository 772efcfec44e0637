#!/usr/bin/env node
// The `pushpool` command: runs the TypeScript CLI through tsx (a runtime dependency; no build step).
// The same file serves a clone and an installed package: `npm pack` ships core/ and
// functions/local/ as sources (package.json `files`), so module-relative paths stay the same.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { register } from "tsx/esm/api";

const root = join(import.meta.dirname, "..", "..", "..");

// The demo starts the clone's pinned Prefect (.venv/, made by `npm run setup`) and deploys
// examples/flows/: neither is in the npm package.
const asksHelp = process.argv.includes("--help") || process.argv.includes("-h");
if (process.argv[2] === "demo" && !asksHelp && !existsSync(join(root, "examples", "flows", "deploy.py"))) {
  process.stderr.write(
    "pushpool demo: needs a clone of the pushpool repository (it runs the pinned Prefect server from the clone's .venv/ and deploys examples/flows/): clone it, then run 'npm run demo' there.\n",
  );
  process.exit(1);
}

// No tsconfig: the caller's working directory may hold another project's tsconfig.json, which
// must not change how pushpool's own sources compile (they need none of its options).
register({ tsconfig: false });
const { main } = await import("../cli.ts");
process.exitCode = await main(process.argv.slice(2));
