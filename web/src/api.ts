// GraphQL over HTTP, the error codes of the contract, and the session
// (access token refreshed before it expires; refresh tokens rotate on use).

import { API_URL, COOKIE_SESSION } from "./config";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "INTERNAL_SERVER_ERROR"
  | "NETWORK_ERROR";

export class ApiError extends Error {
  constructor(
    public code: ErrorCode,
    message: string,
    public extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const KNOWN: ErrorCode[] = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "CONFLICT",
  "RATE_LIMITED",
  "INTERNAL_SERVER_ERROR",
];

interface RawError {
  message?: string;
  extensions?: Record<string, unknown>;
}

export function toApiError(raw: RawError | unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (raw && typeof raw === "object" && "message" in raw) {
    const r = raw as RawError;
    const code = String(r.extensions?.code ?? "INTERNAL_SERVER_ERROR") as ErrorCode;
    return new ApiError(KNOWN.includes(code) ? code : "INTERNAL_SERVER_ERROR", r.message ?? "", r.extensions ?? {});
  }
  return new ApiError("NETWORK_ERROR", String(raw ?? "Unknown error"));
}

/** A sentence a person can act on, for every code of the contract. The server's
 * own message is shown only where it is written for people (refusals and input
 * checks); internals (HTTP statuses, conflicts' versions, fetch errors) are not. */
export function describeError(err: unknown, action?: string, overrides: Partial<Record<ErrorCode, string>> = {}): string {
  const e = toApiError(err);
  const special = overrides[e.code];
  if (special) return special;
  const said = e.message ? sentence(e.message) : "";
  const doing = action ? `Could not ${action}. ` : "";
  switch (e.code) {
    case "UNAUTHENTICATED":
      return `${doing}Your session has ended. Please log in again.`;
    case "FORBIDDEN":
      return `${doing}${said || "You are not allowed to do that."}`;
    case "NOT_FOUND":
      return `${doing}It was deleted, or you no longer have access to it.`;
    case "BAD_USER_INPUT":
      return `${doing}${said || "Please check what you entered."}`;
    case "CONFLICT":
      return `${doing}${said || "Someone else changed it a moment before you. Look at it again, then try once more."}`;
    case "RATE_LIMITED": {
      const wait = Number(e.extensions.retryAfterSeconds);
      return `${doing}Too many attempts. Please try again in ${wait > 0 ? waitText(wait) : "a minute"}.`;
    }
    case "INTERNAL_SERVER_ERROR": {
      const rid = e.extensions.requestId ? ` Reference: ${String(e.extensions.requestId)}.` : "";
      return `${doing}Something went wrong on our side. Please try again.${rid}`;
    }
    case "NETWORK_ERROR":
      return `${doing}The server cannot be reached. Check your connection and try again.`;
  }
}

function sentence(text: string): string {
  const t = text.trim();
  return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "";
}

/** Seconds as a person says them: "45 seconds", "3 minutes". */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  return `${m} minute${m === 1 ? "" : "s"}`;
}

// Persisted operations (Apollo's APQ): the document's sha256 first, the document
// itself only when the server answers PERSISTED_QUERY_NOT_FOUND (it then knows it).
const hashes = new Map<string, string>();

export async function persistedQuery(query: string): Promise<{ version: 1; sha256Hash: string } | null> {
  let hash = hashes.get(query);
  if (!hash) {
    if (!globalThis.crypto?.subtle) return null; // not a secure context: the document every time
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(query));
    hash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    hashes.set(query, hash);
  }
  return { version: 1, sha256Hash: hash };
}

export function isPersistedQueryNotFound(errors: unknown): boolean {
  return Array.isArray(errors) && errors.some((e) => e?.extensions?.code === "PERSISTED_QUERY_NOT_FOUND");
}

class PersistedQueryNotFound extends Error {}

export async function post<T>(query: string, variables: Record<string, unknown>, token: string | null): Promise<T> {
  const persisted = await persistedQuery(query);
  if (persisted) {
    try {
      return await send<T>({ variables, extensions: { persistedQuery: persisted } }, token);
    } catch (e) {
      if (!(e instanceof PersistedQueryNotFound)) throw e;
    }
  }
  return send<T>({ query, variables, ...(persisted ? { extensions: { persistedQuery: persisted } } : {}) }, token);
}

async function send<T>(payload: Record<string, unknown>, token: string | null): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  // Asks the server to put a refresh token it issues into the cookie, not the body.
  if (COOKIE_SESSION) headers["x-session-cookie"] = "1";
  let res: Response;
  try {
    res = await fetch(API_URL, { method: "POST", headers, body: JSON.stringify(payload) });
  } catch (e) {
    throw new ApiError("NETWORK_ERROR", e instanceof Error ? e.message : String(e));
  }
  let body: { data?: T | null; errors?: RawError[] } | null = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!body) {
    throw new ApiError(res.status >= 500 ? "INTERNAL_SERVER_ERROR" : "NETWORK_ERROR", `HTTP ${res.status}`);
  }
  if (isPersistedQueryNotFound(body.errors)) throw new PersistedQueryNotFound();
  if (body.errors && body.errors.length) throw toApiError(body.errors[0]);
  if (!body.data) throw new ApiError("INTERNAL_SERVER_ERROR", `HTTP ${res.status}`);
  return body.data;
}

export { session, type AuthPayload, type Session } from "./session";
import { session } from "./session";

/** A request open to anonymous callers (password reset), sent without a token. */
export function anonymous<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return post<T>(query, variables, null);
}

/** An authenticated GraphQL request; an expired token is refreshed once and the request retried. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const token = await session.token();
  try {
    return await post<T>(query, variables, token);
  } catch (e) {
    const err = toApiError(e);
    if (err.code !== "UNAUTHENTICATED" || !session.current) throw err;
    const fresh = await session.refresh();
    return await post<T>(query, variables, fresh.accessToken);
  }
}
