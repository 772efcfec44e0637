/**
 * @module
 * Errors raised while rendering a job configuration. Each mirrors the Python exception Prefect's
 * worker raises in the same situation (`pythonClass`) and carries the same message, so a run that
 * fails to render reports exactly what a Prefect worker would report. None of them is retryable:
 * the template, the job variables or a referenced block is wrong.
 */
import { ValidationError } from "../shared/errors.ts";

/** Base class of every templating error. `pythonClass` is the Python exception's class name. */
export abstract class TemplateError extends ValidationError {
  abstract readonly pythonClass: string;
}

/** Python `ValueError`: an unsupported template type, a bad block placeholder, an unresolvable keypath. */
export class TemplateValueError extends TemplateError {
  readonly pythonClass = "ValueError";
}

/** Prefect's `ObjectNotFound`: a block document referenced by the template does not exist. */
export class BlockNotFoundError extends TemplateError {
  readonly pythonClass = "ObjectNotFound";
}

/**
 * A Python runtime error Prefect raises on malformed input (`TypeError`, `AttributeError`,
 * `KeyError`), e.g. a dotted job-variable key whose parent is not a dict.
 */
export class TemplateTypeError extends TemplateError {
  constructor(
    readonly pythonClass: "TypeError" | "AttributeError" | "KeyError",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The rendered configuration does not validate as a job configuration (pydantic's
 * `ValidationError` in Prefect). The message is ours; Prefect's is pydantic's text.
 */
export class JobConfigurationError extends TemplateError {
  readonly pythonClass = "ValidationError";
}
