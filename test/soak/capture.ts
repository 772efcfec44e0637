/**
 * What the soak and the secret-hygiene test look at: everything written to stdout/stderr while they
 * run (Powertools writes its JSON log lines there), and canary secrets — distinctive values whose
 * every occurrence in logs or recorded requests is a leak.
 */
import { randomBytes } from "node:crypto";

export interface StdioCapture {
  /** Everything written since the capture started. */
  text(): string;
  lines(): string[];
  /** Writes to the real stdout, bypassing the capture. */
  print(text: string): void;
  restore(): void;
}

/**
 * Intercepts process.stdout/stderr writes. `echo: false` keeps them off the terminal (the standalone
 * soak's Lambda logs would be thousands of lines).
 */
export function captureStdio(options: { echo: boolean }): StdioCapture {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    const original = originals[i] as typeof stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      if (options.echo) return original(chunk as string, ...(rest as []));
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  });
  return {
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l.trim()),
    print: (text) => void (originals[0] as (s: string) => boolean)(text),
    restore: () => {
      streams.forEach((stream, i) => {
        stream.write = originals[i] as typeof stream.write;
      });
    },
  };
}

export interface Canaries {
  apiKey: string;
  /** The canary part of the auth string (`admin:<authSecret>`). */
  authSecret: string;
  authString: string;
  webhookSecret: string;
}

export function makeCanaries(): Canaries {
  const r = () => randomBytes(6).toString("hex");
  const authSecret = `pp-canary-auth-${r()}`;
  return {
    apiKey: `pp-canary-apikey-${r()}`,
    authSecret,
    authString: `admin:${authSecret}`,
    webhookSecret: `pp-canary-webhook-${r()}`,
  };
}

export type CanaryName = "apiKey" | "authString" | "webhookSecret";

/** The spellings a leak could take: as is, base64 (Basic auth, encoded bodies), URL-encoded. */
function forms(value: string): string[] {
  return [value, Buffer.from(value).toString("base64"), encodeURIComponent(value)];
}

/** Occurrences of each canary (any spelling) in `text`. */
export function canaryHits(text: string, canaries: Canaries): Record<CanaryName, number> {
  const count = (values: string[]) =>
    [...new Set(values)].reduce((n, v) => n + (v ? text.split(v).length - 1 : 0), 0);
  return {
    apiKey: count(forms(canaries.apiKey)),
    authString: count([...forms(canaries.authString), ...forms(canaries.authSecret)]),
    webhookSecret: count(forms(canaries.webhookSecret)),
  };
}

export function addHits(into: Record<CanaryName, number>, more: Record<CanaryName, number>): void {
  for (const k of Object.keys(into) as CanaryName[]) into[k] += more[k];
}

export const noHits = (): Record<CanaryName, number> => ({ apiKey: 0, authString: 0, webhookSecret: 0 });
