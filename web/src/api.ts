// GraphQL over HTTP, the error codes of the contract, and the session
// (access token refreshed before it expires; refresh tokens rotate on use).

import { API_URL } from "./config";
import { LOGIN, LOGOUT, REFRESH, SIGN_UP } from "./queries";
import type { User } from "./types";

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

/** A sentence a person can act on, for every code of the contract. */
export function describeError(err: unknown, action?: string, overrides: Partial<Record<ErrorCode, string>> = {}): string {
  const e = toApiError(err);
  const special = overrides[e.code];
  if (special) return special;
  const detail = e.message ? ` (${e.message.replace(/\.$/, "")})` : "";
  const doing = action ? `Could not ${action}: ` : "";
  switch (e.code) {
    case "UNAUTHENTICATED":
      return `${doing}you are not signed in or your session expired${detail}. Please log in again.`;
    case "FORBIDDEN":
      return `${doing}you are not allowed to do that${detail}.`;
    case "NOT_FOUND":
      return `${doing}it does not exist any more, or you have no access to it${detail}.`;
    case "BAD_USER_INPUT":
      return `${doing}please check what you entered${detail}.`;
    case "CONFLICT":
      return `${doing}it conflicts with a change already made${detail}.`;
    case "RATE_LIMITED": {
      const wait = Number(e.extensions.retryAfterSeconds);
      return `${doing}too many attempts${detail}. Please try again in ${wait > 0 ? waitText(wait) : "a minute"}.`;
    }
    case "INTERNAL_SERVER_ERROR": {
      const rid = e.extensions.requestId ? ` Reference: ${String(e.extensions.requestId)}.` : "";
      return `${doing}something went wrong on the server. Please try again.${rid}`;
    }
    case "NETWORK_ERROR":
      return `${doing}the server cannot be reached${detail}. Check your connection and try again.`;
  }
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

async function post<T>(query: string, variables: Record<string, unknown>, token: string | null): Promise<T> {
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

// ---------------------------------------------------------------------------
// Session

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresAt: number; // ms since epoch
  expiresIn: number; // seconds, as the server said
}

// sessionStorage: per tab, so two tabs never race to use the same single-use
// refresh token; a reload keeps the session.
const STORE_KEY = "taskboard.session";

type Listener = (s: Session | null, reason?: string) => void;

class SessionStore {
  private session: Session | null = null;
  private listeners = new Set<Listener>();
  private timer: number | undefined;
  private refreshing: Promise<Session> | null = null;

  get current(): Session | null {
    return this.session;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(s: Session | null, reason?: string): void {
    this.session = s;
    window.clearTimeout(this.timer);
    if (s) {
      sessionStorage.setItem(STORE_KEY, JSON.stringify({ refreshToken: s.refreshToken, user: s.user }));
      // Refresh ahead of expiry: a minute early, or at 80% of a short lifetime.
      const lead = Math.min(60_000, s.expiresIn * 200);
      const wait = Math.max(1_000, s.expiresAt - Date.now() - lead);
      this.timer = window.setTimeout(() => {
        this.refresh().catch(() => undefined);
      }, wait);
    } else {
      sessionStorage.removeItem(STORE_KEY);
    }
    for (const fn of this.listeners) fn(s, reason);
  }

  private accept(p: AuthPayload): Session {
    const s: Session = {
      user: p.user,
      accessToken: p.accessToken,
      refreshToken: p.refreshToken,
      expiresIn: p.expiresIn,
      expiresAt: Date.now() + p.expiresIn * 1000,
    };
    this.set(s);
    return s;
  }

  async signUp(email: string, name: string, password: string): Promise<Session> {
    const d = await post<{ signUp: AuthPayload }>(SIGN_UP, { input: { email, name, password } }, null);
    return this.accept(d.signUp);
  }

  /** Take over the session a password reset or change answered with (the old refresh token is revoked). */
  adopt(p: AuthPayload): Session {
    return this.accept(p);
  }

  async login(email: string, password: string): Promise<Session> {
    const d = await post<{ login: AuthPayload }>(LOGIN, { email, password }, null);
    return this.accept(d.login);
  }

  /** Resume the tab's session after a reload, if it has one. */
  async restore(): Promise<Session | null> {
    const raw = sessionStorage.getItem(STORE_KEY);
    if (!raw) return null;
    let refreshToken: string;
    try {
      refreshToken = (JSON.parse(raw) as { refreshToken: string }).refreshToken;
    } catch {
      sessionStorage.removeItem(STORE_KEY);
      return null;
    }
    try {
      return await this.refreshWith(refreshToken);
    } catch {
      return null; // refused: signed out (and forgotten); unreachable: log in again
    }
  }

  private refreshWith(refreshToken: string): Promise<Session> {
    if (!this.refreshing) {
      this.refreshing = post<{ refreshToken: AuthPayload }>(REFRESH, { token: refreshToken }, null)
        .then((d) => this.accept(d.refreshToken))
        .catch((e) => {
          const err = toApiError(e);
          // A refresh token that is refused will never work again: sign out.
          if (err.code === "UNAUTHENTICATED") this.set(null, "Your session has expired. Please log in again.");
          throw err;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  /** Rotate the tokens now (single flight). */
  refresh(): Promise<Session> {
    if (!this.session) return Promise.reject(new ApiError("UNAUTHENTICATED", "Not signed in"));
    return this.refreshWith(this.session.refreshToken);
  }

  /** An access token good for at least a few more seconds. */
  async token(): Promise<string> {
    const s = this.session;
    if (!s) throw new ApiError("UNAUTHENTICATED", "Not signed in");
    if (s.expiresAt - Date.now() < 5_000) return (await this.refresh()).accessToken;
    return s.accessToken;
  }

  async logout(): Promise<void> {
    const s = this.session;
    this.set(null, "You have logged out.");
    if (s) {
      try {
        await post(LOGOUT, { token: s.refreshToken }, null);
      } catch {
        // The session is gone locally either way.
      }
    }
  }

  /** Used by tests and the console: forget the session without telling the server. */
  drop(reason: string): void {
    this.set(null, reason);
  }
}

export const session = new SessionStore();

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
