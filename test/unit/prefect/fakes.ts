/**
 * Hand-written fakes for the Prefect client's unit tests: a scripted `fetch` that records every
 * call, and a clock whose `sleep` returns at once and moves time forward.
 */
import type { Clock } from "../../../core/ports/clock.ts";

export interface FetchCall {
  method: string;
  url: URL;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A scripted answer: a response, a thrown error, or nothing (a hang until the signal aborts). */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error | "hang";

export interface FakeFetch {
  fetch: typeof fetch;
  calls: FetchCall[];
  /** Calls whose path (without the API base) equals `path`. */
  callsTo(path: string): FetchCall[];
}

export const API = "http://prefect.test/api";

/** A fetch answering with `route(call)`; the first 404 default keeps unknown paths visible. */
export function fakeFetch(route: (call: FetchCall) => Reply): FakeFetch {
  const calls: FetchCall[] = [];
  const fn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init?.headers ?? {}) as Record<string, string>))
      headers[k.toLowerCase()] = v;
    const call: FetchCall = {
      method: init?.method ?? "GET",
      url,
      path: url.pathname.replace(/^\/api/, ""),
      headers,
      body: typeof init?.body === "string" ? init.body : undefined,
    };
    calls.push(call);
    const reply = route(call);
    if (reply === "hang") {
      return await new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    }
    if (reply instanceof Error) throw reply;
    const text =
      reply.body === undefined
        ? null
        : typeof reply.body === "string"
          ? reply.body
          : JSON.stringify(reply.body);
    return new Response(reply.status === 204 ? null : text, { status: reply.status, headers: reply.headers });
  };
  return {
    fetch: fn as typeof fetch,
    calls,
    callsTo: (path) => calls.filter((c) => c.path === path),
  };
}

/** Replies taken in order; the last one repeats. */
export function sequence(...replies: Reply[]): () => Reply {
  let i = 0;
  return () => replies[Math.min(i++, replies.length - 1)] as Reply;
}

export interface FakeClock extends Clock {
  sleeps: number[];
  advance(ms: number): void;
}

export function fakeClock(start = "2026-11-28T12:00:00Z"): FakeClock {
  let now = Date.parse(start);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A network failure shaped like undici's: `TypeError("fetch failed")` with a coded cause. */
export function networkError(code: string): Error {
  const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:4200`), { code });
  return new TypeError("fetch failed", { cause });
}
