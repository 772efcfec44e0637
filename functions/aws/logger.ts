/**
 * @module
 * The functions' logger: Powertools Logger (structured JSON with the Lambda context), wrapped by
 * core's redactor so that no configured secret (Prefect API key, auth string, webhook secrets) and
 * no credential-looking field ever reaches CloudWatch.
 */
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { Logger } from "../../core/ports/logger.ts";
import { createRedactor, redactingLogger } from "../../core/shared/redact.ts";

export interface FunctionLogger extends Logger {
  /** Adds the Lambda request id and function name to the following lines. */
  withContext(context: Context | undefined): void;
}

/** A redacting Powertools logger (level from POWERTOOLS_LOG_LEVEL, service from POWERTOOLS_SERVICE_NAME). */
export function functionLogger(
  secrets: readonly (string | undefined)[],
  options: { serviceName?: string } = {},
): FunctionLogger {
  const powertools = new PowertoolsLogger({
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? "pushpool",
  });
  // Powertools' `level` reads the environment on every access; a dispatch asks for it on every
  // Prefect request (a debug line), so it is read once here and again at each invocation.
  let level = powertools.level;
  const logger = redactingLogger(
    fromPowertools(powertools),
    createRedactor(secrets),
    (wanted) => level <= LEVELS[wanted],
  );
  return {
    ...logger,
    withContext(context) {
      if (context) powertools.addContext(context);
      level = powertools.level;
    },
  };
}

/** Powertools' numeric levels (a line is written when the logger's level ≤ the line's). */
const LEVELS: Record<keyof Logger, number> = { debug: 8, info: 12, warn: 16, error: 20 };

function fromPowertools(p: PowertoolsLogger): Logger {
  return {
    debug: (m, f) => p.debug(m, { ...f }),
    info: (m, f) => p.info(m, { ...f }),
    warn: (m, f) => p.warn(m, { ...f }),
    error: (m, f) => p.error(m, { ...f }),
  };
}
