/**
 * @module
 * Version strings pushpool sends to Prefect. The User-Agent deliberately does not look like
 * `prefect/<ver> (API …)`: the server keys a few legacy code paths on that pattern, and an unknown
 * agent gets the modern behaviour.
 */
import pkg from "../../package.json" with { type: "json" };

/** The REST API version Prefect 3's own client announces (`X-PREFECT-API-VERSION`). */
export const PREFECT_API_VERSION = "0.8.4";

/** pushpool's package version. */
export const PUSHPOOL_VERSION: string = pkg.version;

/** `pushpool/<version> (API 0.8.4)`. */
export const DEFAULT_USER_AGENT = `pushpool/${PUSHPOOL_VERSION} (API ${PREFECT_API_VERSION})`;
