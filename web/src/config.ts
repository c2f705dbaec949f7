// Where the API lives. Both are build-time settings (Vite env):
//   VITE_API_URL  the HTTP GraphQL endpoint   [same origin: /graphql]
//   VITE_WS_URL   the websocket endpoint      [same origin, ws:// or wss:// as the page]
// In AWS the two may be on different origins (API Gateway / ALB).

function resolveHttp(raw: string | undefined): string {
  return new URL(raw && raw.trim() ? raw.trim() : "/graphql", window.location.href).toString();
}

function resolveWs(raw: string | undefined): string {
  const url = new URL(raw && raw.trim() ? raw.trim() : "/graphql", window.location.href);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  return url.toString();
}

export const API_URL = resolveHttp(import.meta.env.VITE_API_URL as string | undefined);
export const WS_URL = resolveWs(import.meta.env.VITE_WS_URL as string | undefined);

/** Same origin as the page: the session lives in the server's HttpOnly cookie (session.ts). */
export const COOKIE_SESSION = new URL(API_URL).origin === window.location.origin;
