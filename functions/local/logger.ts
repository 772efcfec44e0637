import type { LogFields, Logger } from "../../core/ports/logger.ts";

const ORDER = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof ORDER;

/** The level names `--log-level` and PUSHPOOL_LOG_LEVEL take (Prefect's: `warning`, not `warn`). */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** `warning` (or `warn`) → the logger's `warn`; undefined for anything else. */
export function logLevel(name: string): Level | undefined {
  const n = name.trim().toLowerCase();
  if (n === "warning" || n === "warn") return "warn";
  return n === "debug" || n === "info" || n === "error" ? n : undefined;
}

/** A one-line-per-event logger for the local stack (JSON with PUSHPOOL_LOG_FORMAT=json). */
export function consoleLogger(
  options: { level?: Level; json?: boolean; write?: (line: string) => void } = {},
): Logger {
  const min = ORDER[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: Level) => (message: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    const time = new Date().toISOString();
    if (options.json) {
      write(JSON.stringify({ time, level, message, ...fields }));
      return;
    }
    const rest = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ")
      : "";
    write(`${time.slice(11, 23)} ${level.padEnd(5)} ${message}${rest ? ` ${rest}` : ""}`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/**
 * For the Prefect client: its only warnings are retries ("Prefect API request failed, retrying"),
 * which Prefect's own client logs at debug. A call that still fails is reported by its caller.
 */
export function retriesAtDebug(logger: Logger): Logger {
  return { ...logger, warn: (message, fields) => logger.debug(message, fields) };
}
