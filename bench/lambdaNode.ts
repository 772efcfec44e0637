/**
 * @module
 * The Node.js that runs the function in `npm run bench:aws`: the one Lambda runs it on, not
 * whichever the machine has. serverless.yml deploys the functions on `provider.runtime`
 * (`nodejs22.x`) with `provider.memorySize` MB, and the bootstrap of Lambda's Node.js images
 * (`/var/runtime/bootstrap`) starts `node` with a heap sized from that memory: new space = memory /
 * 10, `--max-semi-space-size` = half of it, `--max-old-space-size` = the rest (MB); with
 * `--expose-gc` and `--max-http-header-size 81920`.
 *
 * When the machine's `node` is another major version, the official build of Lambda's major
 * ({@link LAMBDA_NODE_VERSION}, the npm package `node-linux-<arch>`, integrity-checked by npm) is
 * fetched once into `.cache/lambda-node/`. Elsewhere than Linux x64/arm64 the machine's node is
 * used and the report says so. `BENCH_AWS_DISPATCHER_NODE` names another binary.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The Node.js 22 build fetched when the machine's node is not Lambda's major. */
export const LAMBDA_NODE_VERSION = "22.23.5";

export interface LambdaNode {
  /** The binary the function runs on. */
  path: string;
  /** Its `process.version`, e.g. `v22.23.5`. */
  version: string;
  /** Lambda's flags for the configured memory. */
  args: string[];
  /** What the report says of it. */
  note: string;
}

/** `provider.runtime`'s Node major and `provider.memorySize` (MB) from serverless.yml's text. */
export function lambdaRuntime(serverlessYml: string): { major: number; memoryMb: number } {
  const provider = serverlessYml.split(/^provider:\s*$/m)[1]?.split(/^\S/m)[0] ?? "";
  const major = Number(/^ {2}runtime:\s*nodejs(\d+)\.x\s*$/m.exec(provider)?.[1]);
  const memoryMb = Number(/^ {2}memorySize:\s*(\d+)\s*$/m.exec(provider)?.[1]);
  if (!major || !memoryMb)
    throw new Error("serverless.yml: no provider.runtime nodejsNN.x or provider.memorySize");
  return { major, memoryMb };
}

/** The flags Lambda's Node.js bootstrap gives `node` for a function of `memoryMb`. */
export function lambdaNodeArgs(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    "--expose-gc",
    "--max-http-header-size=81920",
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}

/** Resolves (fetching it if need be) the Node.js that runs the function, with Lambda's flags. */
export function lambdaNode(repoRoot: string, log: (line: string) => void): LambdaNode {
  const { major, memoryMb } = lambdaRuntime(readFileSync(join(repoRoot, "serverless.yml"), "utf8"));
  const args = lambdaNodeArgs(memoryMb);
  const flags = `${args.join(" ")} (Lambda's for ${memoryMb} MB)`;
  const chosen = process.env.BENCH_AWS_DISPATCHER_NODE;
  if (chosen) {
    const version = versionOf(chosen);
    return { path: chosen, version, args, note: `Node.js ${version} (BENCH_AWS_DISPATCHER_NODE), ${flags}` };
  }
  if (Number(process.versions.node.split(".")[0]) === major)
    return {
      path: process.execPath,
      version: process.version,
      args,
      note: `Node.js ${process.version} (the machine's, Lambda's nodejs${major}.x major), ${flags}`,
    };
  const pkg =
    process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64")
      ? `node-linux-${process.arch}`
      : null;
  const unfetched =
    LAMBDA_NODE_VERSION.split(".")[0] !== String(major)
      ? `LAMBDA_NODE_VERSION ${LAMBDA_NODE_VERSION} is not nodejs${major}.x`
      : pkg
        ? null
        : `no build fetched for ${process.platform}-${process.arch}`;
  if (unfetched || !pkg)
    return {
      path: process.execPath,
      version: process.version,
      args,
      note: `Node.js ${process.version}: the machine's, NOT Lambda's nodejs${major}.x (${unfetched}), ${flags}`,
    };
  const path = fetchNode(repoRoot, pkg, log);
  const version = versionOf(path);
  return { path, version, args, note: `Node.js ${version} (Lambda's nodejs${major}.x), ${flags}` };
}

function fetchNode(repoRoot: string, pkg: string, log: (line: string) => void): string {
  const dir = join(repoRoot, ".cache", "lambda-node", `${pkg}-${LAMBDA_NODE_VERSION}`);
  const bin = join(dir, "package", "bin", "node");
  if (existsSync(bin)) return bin;
  log(`fetching ${pkg}@${LAMBDA_NODE_VERSION} (Lambda's Node.js) into ${dir}…`);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const tarball = execFileSync("npm", ["pack", "--silent", `${pkg}@${LAMBDA_NODE_VERSION}`], {
    cwd: partial,
    encoding: "utf8",
  }).trim();
  execFileSync("tar", ["xzf", tarball], { cwd: partial });
  rmSync(join(partial, tarball));
  renameSync(partial, dir);
  return bin;
}

function versionOf(binary: string): string {
  return execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
}
