/**
 * @module
 * Secrets never reach logs: every logger pushpool builds runs its fields through a redactor that
 * knows the configured secret values (API key, auth string, webhook secrets) and masks any key that
 * looks like a credential.
 */
import type { LogFields, Logger } from "../ports/logger.ts";

const SECRET_KEY =
  /(secret|password|passwd|token|api[_-]?key|auth[_-]?string|authorization|signature|credential)/i;
const MASK = "***";

export type Redactor = (value: unknown) => unknown;

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const values = [
    ...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length >= 4)),
  ].sort((a, b) => b.length - a.length);
  const scrubString = (s: string) => values.reduce((acc, v) => acc.split(v).join(MASK), s);
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return scrubString(value);
    if (depth > 8 || value === null || typeof value !== "object") return value;
    if (value instanceof Error) return scrubString(`${value.name}: ${value.message}`);
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v ? MASK : walk(v, depth + 1);
    return out;
  };
  return (value) => walk(value, 0);
}

/**
 * Wraps a logger so that every message and field passes through the redactor. `enabled` tells
 * which levels the inner logger writes: lines it would drop are not redacted at all (the Prefect
 * client reports every request at debug level).
 */
export function redactingLogger(
  inner: Logger,
  redact: Redactor,
  enabled: (level: keyof Logger) => boolean = () => true,
): Logger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, fields?: LogFields): void => {
      if (enabled(level))
        inner[level](redact(message) as string, fields ? (redact(fields) as LogFields) : undefined);
    };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
