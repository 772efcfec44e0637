/**
 * @module
 * A throwaway certificate authority and a `localhost` server certificate signed by it, made with
 * `openssl` in a temporary directory: the local Azure Resource Manager fake serves https (the ARM
 * SDK's bearer-token policy refuses plain http), and only the test's own clients trust the CA
 * (an `https.Agent` with `ca`), never the process or the machine.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestTls {
  /** PEM of the CA to trust. */
  ca: string;
  /** PEM key and certificate of the `localhost` server. */
  key: string;
  cert: string;
}

let cached: TestTls | null = null;

/** Makes (once per process) a CA and a server certificate for localhost and 127.0.0.1. */
export function testTls(): TestTls {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), "pp-arm-tls-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  try {
    run(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=pushpool test CA",
      "-days",
      "2",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    );
    run("genrsa", "-out", "server.key", "2048");
    run("req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr");
    writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    run(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
      "-out",
      "server.pem",
    );
    cached = {
      ca: readFileSync(join(dir, "ca.pem"), "utf8"),
      key: readFileSync(join(dir, "server.key"), "utf8"),
      cert: readFileSync(join(dir, "server.pem"), "utf8"),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
