/**
 * @module
 * CSRF tokens for a self-hosted Prefect server with `PREFECT_SERVER_CSRF_PROTECTION_ENABLED=true`,
 * handled like Prefect's own client: fetched before the first mutating request, reused until
 * shortly before they expire, refetched after a 403 that names CSRF. Unlike Prefect's client, the
 * fetch starts alongside the first read ({@link CsrfTokens.prefetch}): a dispatch reads before it
 * writes, so the token is there when its claim goes out, and costs no round trip of its own. A server that answers
 * `/csrf-token` with 422 ("CSRF protection is disabled.") or 404 (older server) has CSRF off, and
 * the client stops asking.
 *
 * The server keeps one token per client id and replaces it on every fetch, so concurrent requests
 * share one in-flight fetch: two fetches would invalidate each other's tokens.
 */
import { PrefectApiError } from "../shared/errors.ts";
import type { Json } from "./types.ts";

/** Loads `GET /csrf-token?client=<id>`; must resolve (not throw) for 404 and 422. */
export type CsrfLoader = (clientId: string) => Promise<{ status: number; body: Json | undefined }>;

export const CSRF_TOKEN_HEADER = "Prefect-Csrf-Token";
export const CSRF_CLIENT_HEADER = "Prefect-Csrf-Client";

interface Token {
  value: string;
  expiresAt: number | undefined;
}

/** Holds one client id and its current token. */
export class CsrfTokens {
  private enabled = true;
  private token: Token | undefined;
  private inflight: Promise<Token | undefined> | undefined;

  /**
   * @param clientId the `Prefect-Csrf-Client` value (a uuid, one per client instance)
   * @param load fetches a token for `clientId`
   * @param now current time (the injected clock)
   * @param refreshMarginMs a token this close to its expiration is refetched first
   */
  constructor(
    readonly clientId: string,
    private readonly load: CsrfLoader,
    private readonly now: () => Date,
    private readonly refreshMarginMs = 60_000,
  ) {}

  /** Headers for a mutating request: empty while CSRF is off. */
  async headers(): Promise<Record<string, string>> {
    if (!this.enabled) return {};
    const token = this.fresh() ?? (await this.fetchShared());
    if (!token) return {};
    return { [CSRF_TOKEN_HEADER]: token.value, [CSRF_CLIENT_HEADER]: this.clientId };
  }

  /**
   * Starts fetching a token in the background when one will be needed and none is held or on its
   * way; never throws (a failed prefetch leaves {@link headers} to fetch, and report, again).
   */
  prefetch(): void {
    if (!this.enabled || this.inflight || this.fresh()) return;
    this.fetchShared().catch(() => undefined);
  }

  /**
   * The server refused a request for CSRF reasons: forget `usedToken` (if it is still the current
   * one) and switch CSRF back on, so that the next {@link headers} fetches a new token.
   */
  invalidate(usedToken: string | undefined): void {
    this.enabled = true;
    if (this.token && this.token.value === usedToken) this.token = undefined;
    if (usedToken === undefined) this.token = undefined;
  }

  private fresh(): Token | undefined {
    const token = this.token;
    if (!token) return undefined;
    if (token.expiresAt !== undefined && this.now().getTime() >= token.expiresAt - this.refreshMarginMs) {
      return undefined;
    }
    return token;
  }

  private fetchShared(): Promise<Token | undefined> {
    if (!this.inflight) {
      this.inflight = this.fetchToken().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async fetchToken(): Promise<Token | undefined> {
    const { status, body } = await this.load(this.clientId);
    if (status === 404 || status === 422) {
      this.enabled = false;
      this.token = undefined;
      return undefined;
    }
    const record = typeof body === "object" && body !== null && !Array.isArray(body) ? body : {};
    const value = (record as Record<string, Json>).token;
    if (typeof value !== "string" || value === "") {
      throw new PrefectApiError(status, "GET", "/csrf-token", "the response carried no token");
    }
    const expiration = (record as Record<string, Json>).expiration;
    const expiresAt = typeof expiration === "string" ? parseUtc(expiration) : Number.NaN;
    this.token = { value, expiresAt: Number.isFinite(expiresAt) ? expiresAt : undefined };
    return this.token;
  }
}

/** Prefect datetimes carry an offset; a naive one is UTC (never the host's local time). */
function parseUtc(text: string): number {
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`);
}
