/**
 * @module
 * The functions' logger: one JSON object per line on stdout, as Cloud Logging reads a Cloud
 * Functions (2nd gen) container's output — `severity` (DEBUG, INFO, WARNING, ERROR), `message`,
 * the fields alongside, and `logging.googleapis.com/labels` naming the function. Wrapped by core's
 * redactor, so no configured secret (Prefect API key, auth string, webhook secrets) and no
 * credential-looking field ever reaches the logs. Level from `PUSHPOOL_LOG_LEVEL` (default info).
 */
import type { LogFields, Logger } from "../../core/ports/logger.ts";
import { createRedactor, redactingLogger } from "../../core/shared/redact.ts";

type Level = keyof Logger;

const SEVERITY: Record<Level, string> = { debug: "DEBUG", info: "INFO", warn: "WARNING", error: "ERROR" };
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface GcpLoggerOptions {
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
  /** Lowest level written (default `PUSHPOOL_LOG_LEVEL`, else info). */
  level?: string;
  /** Names the function in `logging.googleapis.com/labels` (default `K_SERVICE`). */
  service?: string;
}

/** A redacting Cloud Logging JSON logger. */
export function functionLogger(
  secrets: readonly (string | undefined)[],
  options: GcpLoggerOptions = {},
): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const wanted = parseLevel(options.level ?? process.env.PUSHPOOL_LOG_LEVEL);
  const service = options.service ?? process.env.K_SERVICE ?? "pushpool";
  const line =
    (level: Level) =>
    (message: string, fields?: LogFields): void => {
      const entry = {
        ...fields,
        severity: SEVERITY[level],
        message,
        "logging.googleapis.com/labels": { service },
      };
      write(safeJson(entry));
    };
  const inner: Logger = {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
  return redactingLogger(inner, createRedactor(secrets), (level) => RANK[level] >= RANK[wanted]);
}

function parseLevel(value: string | undefined): Level {
  const v = value?.trim().toLowerCase();
  if (v === "debug" || v === "info" || v === "error") return v;
  if (v === "warn" || v === "warning") return "warn";
  return "info";
}

/** JSON of a log entry; a value JSON cannot hold (a cycle, a BigInt) is written as text. */
function safeJson(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry, (_key, value: unknown) =>
      typeof value === "bigint" ? String(value) : value,
    );
  } catch {
    return JSON.stringify({ severity: entry.severity, message: String(entry.message), unserializable: true });
  }
}
