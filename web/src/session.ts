// The session: an access token refreshed before it expires.
//
// Same origin as the API (the usual case), the refresh token never reaches this
// script: the server keeps it in an HttpOnly, SameSite=Strict cookie scoped to
// /auth, and every tab (a new one too) gets its access token from POST
// /auth/session. The cookie is single-use, so tabs take turns (Web Locks).
// Logging out revokes the whole family on the server and tells the other tabs
// (BroadcastChannel), so it ends everywhere at once.
// Cross-origin, cookies are not ours to use: the tab keeps its refresh token in
// sessionStorage, as before.

import { ApiError, post, toApiError } from "./api";
import { API_URL, COOKIE_SESSION } from "./config";
import { LOGIN, LOGOUT, REFRESH, SIGN_UP } from "./queries";
import type { User } from "./types";

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string; // "" with the cookie session
  expiresAt: number; // ms since epoch
  expiresIn: number; // seconds, as the server said
}

const STORE_KEY = "taskboard.session";
const LOGGED_OUT = "You have logged out.";
const EXPIRED = "Your session has ended. Please log in again.";

type Listener = (s: Session | null, reason?: string) => void;

/** POST /auth/session or /auth/logout (the cookie goes along; the header marks it as ours). */
async function authCall(path: "session" | "logout"): Promise<Response> {
  try {
    return await fetch(new URL(`/auth/${path}`, API_URL), {
      method: "POST",
      credentials: "same-origin",
      headers: { "x-session-cookie": "1" },
    });
  } catch (e) {
    throw new ApiError("NETWORK_ERROR", e instanceof Error ? e.message : String(e));
  }
}

/** One tab at a time (the cookie is single-use); without Web Locks, just this tab's turn. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? (locks.request("taskboard.session", fn) as Promise<T>) : fn();
}

class SessionStore {
  private session: Session | null = null;
  private listeners = new Set<Listener>();
  private timer: number | undefined;
  private refreshing: Promise<Session> | null = null;
  private channel: BroadcastChannel | null =
    COOKIE_SESSION && typeof BroadcastChannel === "function" ? new BroadcastChannel("taskboard.session") : null;

  constructor() {
    this.channel?.addEventListener("message", (e: MessageEvent) => {
      if (e.data === "logout" && this.session) this.set(null, LOGGED_OUT);
      // Logged in elsewhere: a tab still on the log-in page joins the session.
      if (e.data === "login" && !this.session) void this.restore();
    });
  }

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
      if (!COOKIE_SESSION) sessionStorage.setItem(STORE_KEY, JSON.stringify({ refreshToken: s.refreshToken, user: s.user }));
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

  private accept(p: Omit<AuthPayload, "refreshToken"> & { refreshToken?: string }): Session {
    const s: Session = {
      user: p.user,
      accessToken: p.accessToken,
      refreshToken: p.refreshToken ?? "",
      expiresIn: p.expiresIn,
      expiresAt: Date.now() + p.expiresIn * 1000,
    };
    this.set(s);
    return s;
  }

  async signUp(email: string, name: string, password: string): Promise<Session> {
    const d = await post<{ signUp: AuthPayload }>(SIGN_UP, { input: { email, name, password } }, null);
    return this.tellOthers(this.accept(d.signUp));
  }

  /** Take over the session a password reset or change answered with (the old refresh token is revoked). */
  adopt(p: AuthPayload): Session {
    return this.accept(p);
  }

  /** The signed-in user as the server now has it (a new name): same tokens. */
  renamed(user: User): void {
    if (this.session && this.session.user.id === user.id) this.set({ ...this.session, user });
  }

  async login(email: string, password: string): Promise<Session> {
    const d = await post<{ login: AuthPayload }>(LOGIN, { email, password }, null);
    return this.tellOthers(this.accept(d.login));
  }

  private tellOthers(s: Session): Session {
    this.channel?.postMessage("login");
    return s;
  }

  /** Resume the browser's session (a new tab, a reload), if it has one. */
  async restore(): Promise<Session | null> {
    if (COOKIE_SESSION) {
      try {
        return await this.refreshOnce(() => this.fromCookie());
      } catch {
        return null;
      }
    }
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
      return await this.refreshOnce(() => this.withToken(refreshToken));
    } catch {
      return null; // refused: signed out (and forgotten); unreachable: log in again
    }
  }

  private fromCookie(): Promise<Session> {
    return exclusive(async () => {
      const res = await authCall("session");
      if (res.status === 401) throw new ApiError("UNAUTHENTICATED", EXPIRED);
      if (!res.ok) throw new ApiError(res.status >= 500 ? "INTERNAL_SERVER_ERROR" : "NETWORK_ERROR", `HTTP ${res.status}`);
      return this.accept((await res.json()) as Omit<AuthPayload, "refreshToken">);
    });
  }

  private async withToken(refreshToken: string): Promise<Session> {
    const d = await post<{ refreshToken: AuthPayload }>(REFRESH, { token: refreshToken }, null);
    return this.accept(d.refreshToken);
  }

  /** Single flight; a refusal will never turn into a yes, so it signs out. */
  private refreshOnce(fn: () => Promise<Session>): Promise<Session> {
    if (!this.refreshing) {
      this.refreshing = fn()
        .catch((e) => {
          const err = toApiError(e);
          if (err.code === "UNAUTHENTICATED" && this.session) this.set(null, EXPIRED);
          throw err;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  /** A new access token now. */
  refresh(): Promise<Session> {
    const s = this.session;
    if (!s) return Promise.reject(new ApiError("UNAUTHENTICATED", "Not signed in"));
    return this.refreshOnce(() => (COOKIE_SESSION ? this.fromCookie() : this.withToken(s.refreshToken)));
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
    this.set(null, LOGGED_OUT);
    try {
      if (COOKIE_SESSION) {
        await authCall("logout");
        this.channel?.postMessage("logout");
      } else if (s) {
        await post(LOGOUT, { token: s.refreshToken }, null);
      }
    } catch {
      // The session is gone here either way.
    }
  }

  /** Forget the session without telling the server (a deleted account; tests). */
  drop(reason: string): void {
    this.set(null, reason);
  }
}

export const session = new SessionStore();
