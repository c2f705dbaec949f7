// Routes.  The board routes by hash (#/, #/board/<id>, #/settings, ...); the
// links mails carry are paths (/verify-email?token=…, /reset-password?token=…,
// /invitations/accept?id=…&token=…, /boards/<id>[?task=<id>]), which the server and
// CloudFront answer with the board: at load such a path becomes its hash route.

export type Route =
  | { page: "boards" }
  | { page: "board"; id: string; task?: string }
  | { page: "settings" }
  | { page: "mytasks" }
  | { page: "welcome" }
  | { page: "verify"; token: string }
  | { page: "reset"; token: string }
  | { page: "invite"; id: string; token: string };

const MAIL_PATHS = ["/verify-email", "/reset-password", "/invitations/accept"];

export function adoptMailLink(): void {
  const { pathname, search } = window.location;
  const path = pathname.replace(/\/+$/, "");
  const board = path.match(/^\/boards\/([^/]+)$/);
  const hash = board ? `#/board/${board[1]}${search}` : MAIL_PATHS.includes(path) ? `#${path}${search}` : null;
  if (hash) window.history.replaceState(null, "", `/${hash}`);
}

export function currentRoute(): Route {
  const raw = window.location.hash.replace(/^#/, "");
  const cut = raw.indexOf("?");
  const path = cut < 0 ? raw : raw.slice(0, cut);
  const q = new URLSearchParams(cut < 0 ? "" : raw.slice(cut + 1));
  const board = path.match(/^\/board\/([^/?#]+)/);
  if (board) return { page: "board", id: decodeURIComponent(board[1]), task: q.get("task") ?? undefined };
  switch (path) {
    case "/settings":
      return { page: "settings" };
    case "/my-tasks":
      return { page: "mytasks" };
    case "/welcome":
      return { page: "welcome" };
    case "/verify-email":
      return { page: "verify", token: q.get("token") ?? "" };
    case "/reset-password":
      return { page: "reset", token: q.get("token") ?? "" };
    case "/invitations/accept":
      return { page: "invite", id: q.get("id") ?? "", token: q.get("token") ?? "" };
    default:
      return { page: "boards" };
  }
}

