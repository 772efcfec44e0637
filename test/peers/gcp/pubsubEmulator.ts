/**
 * The gcloud Pub/Sub emulator from the machine image, as a test peer: `startPubsubEmulator()` finds
 * it under the Cloud SDK (`gcloud info --format='value(installation.sdk_root)'` +
 * `/platform/pubsub-emulator/bin/cloud-pubsub-emulator`), starts it on a free loopback port and
 * waits until it listens; `host` is what PUBSUB_EMULATOR_HOST takes. A missing component (gcloud,
 * the emulator, Java) fails with a message naming it — never a silent skip.
 *
 * Started once per run by the tests that need it: all of them live in
 * test/conformance/queue/pubsub.conformance.test.ts, which starts it in `beforeAll` (the shared
 * globalSetup does not, so runs that need no Pub/Sub pay no JVM).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export interface PubsubEmulator {
  /** `127.0.0.1:<port>`, for PUBSUB_EMULATOR_HOST. */
  host: string;
  stop(): Promise<void>;
}

const READY = /Server started, listening on (\d+)/;
const START_TIMEOUT_MS = 120_000;

/** The emulator's launcher, or an error naming the missing component and how to get it. */
export function pubsubEmulatorBin(): string {
  const info = spawnSync("gcloud", ["info", "--format=value(installation.sdk_root)"], { encoding: "utf8" });
  if (info.error || info.status !== 0)
    throw new Error(
      `the Pub/Sub emulator needs the gcloud CLI (Google Cloud SDK), which did not run: ${info.error?.message ?? info.stderr.trim()}`,
    );
  const root = info.stdout.trim();
  const bin = join(root, "platform", "pubsub-emulator", "bin", "cloud-pubsub-emulator");
  if (!existsSync(bin))
    throw new Error(
      `the Pub/Sub emulator is not installed: ${bin} is missing (install the gcloud component 'pubsub-emulator', e.g. apt-get install google-cloud-cli-pubsub-emulator)`,
    );
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (java.error)
    throw new Error(`the Pub/Sub emulator needs Java (a JRE ≥ 11 on PATH): ${java.error.message}`);
  return bin;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPubsubEmulator(): Promise<PubsubEmulator> {
  const bin = pubsubEmulatorBin();
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ["--host=127.0.0.1", `--port=${port}`], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUD_PUBSUB_EMULATOR_OPTS: "-Xmx256m" },
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stopChild(child);
      reject(
        new Error(
          `the Pub/Sub emulator did not start within ${START_TIMEOUT_MS} ms:\n${output.slice(-2000)}`,
        ),
      );
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (READY.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the Pub/Sub emulator exited (${code}) before listening:\n${output.slice(-2000)}`));
    });
  });
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopChild(child);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    },
  };
}

/** Ends the emulator's process group (the launcher execs java; the group covers either). */
function stopChild(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}
