/**
 * @module
 * Turns a Prefect error response body into one readable line. The server answers errors in three
 * shapes: `{"detail": "…"}` (HTTPException), `{"detail": [pydantic errors]}`, and
 * `{"exception_message": "…", "exception_detail": [pydantic errors], "request_body": …}` (request
 * validation, 401, 404 of missing objects, 500/503). The echoed `request_body` and each pydantic
 * error's `input` are never copied: they may hold secrets the caller sent.
 */

const MAX_DETAIL = 1000;

/** One readable line for an error body. Falls back to the HTTP status text for an empty body. */
export function errorDetail(bodyText: string, statusText = ""): string {
  const text = bodyText.trim();
  if (text === "") return statusText || "(empty response)";
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return truncate(text);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return truncate(typeof body === "string" ? body : text);
  }
  const record = body as Record<string, unknown>;
  const parts: string[] = [];
  if (record.detail !== undefined) parts.push(describe(record.detail));
  if (typeof record.exception_message === "string") parts.push(record.exception_message);
  if (record.exception_detail !== undefined) parts.push(describe(record.exception_detail));
  return truncate(parts.length > 0 ? parts.join(" ") : text);
}

/**
 * A pydantic error list as `loc: msg; loc: msg` (loc joined with dots, e.g.
 * `body.state.bogus: Extra inputs are not permitted`).
 */
export function summarizeValidationErrors(errors: readonly unknown[]): string {
  return errors
    .map((error) => {
      if (typeof error !== "object" || error === null) return String(error);
      const { loc, msg } = error as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(loc) ? loc.map(String).join(".") : loc === undefined ? "" : String(loc);
      const what = typeof msg === "string" ? msg : JSON.stringify(msg ?? null);
      return where ? `${where}: ${what}` : what;
    })
    .join("; ");
}

function describe(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return summarizeValidationErrors(value);
  return JSON.stringify(value);
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}
