/**
 * @module
 * The functions' logger: one JSON line per entry on stdout/stderr (the Functions Node worker
 * forwards both to the host's logs and Application Insights), wrapped by core's redactor so that
 * no configured secret (Prefect API key, auth string, webhook secrets) and no credential-looking
 * field ever reaches a log.
 */
import type { LogFields, Logger } from "../../core/ports/logger.ts";
import { createRedactor, redactingLogger } from "../../core/shared/redact.ts";

export type LogLevel = keyof Logger;
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface AzureLoggerOptions {
  /** Lowest level written (default info). */
  level?: LogLevel;
  /** Where lines go (default: console, error and warn on stderr). */
  write?: (level: LogLevel, line: string) => void;
}

/** A redacting JSON-lines logger for a Function App instance. */
export function azureLogger(
  secrets: readonly (string | undefined)[],
  options: AzureLoggerOptions = {},
): Logger {
  const min = ORDER[options.level ?? "info"];
  const write =
    options.write ??
    ((level: LogLevel, line: string) =>
      ORDER[level] >= ORDER.warn ? console.error(line) : console.log(line));
  const line = (level: LogLevel) => (message: string, fields?: LogFields) =>
    write(level, JSON.stringify({ level, message, time: new Date().toISOString(), ...fields }));
  const inner: Logger = {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
  return redactingLogger(inner, createRedactor(secrets), (level) => ORDER[level] >= min);
}
