// The shell: session, header, hash routing (links.ts: #/, #/board/<id>, #/settings,
// and the pages the account mails open).

import { useEffect, useState } from "preact/hooks";
import { session, type Session } from "./api";
import { AuthScreen, ResetPasswordPage } from "./auth";
import { BoardsPage } from "./boards";
import { BoardPage } from "./board";
import { AcceptInvitationPage } from "./invitations";
import { currentRoute, type Route } from "./links";
import { MyTasksPage } from "./mytasks";
import { SettingsPage } from "./settings";
import { CheckMailPage, VerifyBanner, VerifyEmailPage } from "./verify";

// A notice for the next page (e.g. "the board was deleted"), shown there once.
let flash: string | null = null;

export function navigate(hash: string, notice?: string): void {
  if (notice) flash = notice;
  if (window.location.hash !== hash) window.location.hash = hash;
}

export function takeFlash(): string | null {
  const f = flash;
  flash = null;
  return f;
}

export function App() {
  const [sess, setSess] = useState<Session | null>(session.current);
  const [restoring, setRestoring] = useState(true);
  const [signedOutReason, setSignedOutReason] = useState<string | null>(null);
  const [route, setRoute] = useState<Route>(currentRoute());

  useEffect(() => {
    const off = session.subscribe((s, reason) => {
      setSess(s);
      if (!s) setSignedOutReason(reason ?? null);
    });
    session
      .restore()
      .catch(() => null)
      .finally(() => setRestoring(false));
    const onHash = () => setRoute(currentRoute());
    window.addEventListener("hashchange", onHash);
    return () => {
      off();
      window.removeEventListener("hashchange", onHash);
    };
  }, []);

  useEffect(() => {
    document.title = sess ? "Taskboard" : "Taskboard — log in";
  }, [sess]);

  if (restoring && !sess) {
    return (
      <main class="center">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (route.page === "reset") return <ResetPasswordPage token={route.token} />;
  if (!sess) {
    const note =
      route.page === "verify"
        ? "Log in to confirm your address."
        : route.page === "invite"
          ? "Log in, or sign up, with the address the invitation was sent to; then you join the board."
          : undefined;
    const stay = route.page === "invite" ? window.location.hash : undefined;
    return <AuthScreen reason={signedOutReason} note={note} afterSignUp={stay} />;
  }

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/">
          Taskboard
        </a>
        <nav aria-label="Account" class="account">
          <span class="who" title={sess.user.email}>
            {sess.user.name}
          </span>
          <a class="button" href="#/my-tasks">
            My tasks
          </a>
          <a class="button" href="#/settings">
            Settings
          </a>
          <button type="button" onClick={() => void session.logout()}>
            Log out
          </button>
        </nav>
      </header>
      {route.page !== "welcome" && route.page !== "verify" && <VerifyBanner userId={sess.user.id} email={sess.user.email} />}
      <main id="main" tabIndex={-1}>
        <Page route={route} sess={sess} />
      </main>
    </>
  );
}

function Page(props: { route: Route; sess: Session }) {
  const { route } = props;
  const me = props.sess.user;
  switch (route.page) {
    case "board":
      return <BoardPage key={route.id} boardId={route.id} me={me} taskId={route.task} />;
    case "settings":
      return <SettingsPage me={me} />;
    case "mytasks":
      return <MyTasksPage />;
    case "welcome":
      return <CheckMailPage email={me.email} />;
    case "verify":
      return <VerifyEmailPage userId={me.id} email={me.email} token={route.token} />;
    case "invite":
      return <AcceptInvitationPage me={me} id={route.id} token={route.token} />;
    default:
      return <BoardsPage me={me} />;
  }
}
