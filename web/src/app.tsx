// The shell: session, header, hash routing (#/ and #/board/<id>).

import { useEffect, useState } from "preact/hooks";
import { describeError, session, type Session } from "./api";
import { BoardsPage } from "./boards";
import { BoardPage } from "./board";
import { SettingsDialog } from "./panels";
import { ErrorBanner } from "./ui";

function currentRoute(): { page: "boards" } | { page: "board"; id: string } {
  const m = window.location.hash.match(/^#\/board\/([^/?#]+)/);
  return m ? { page: "board", id: decodeURIComponent(m[1]) } : { page: "boards" };
}

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
  const [route, setRoute] = useState(currentRoute());
  const [settingsOpen, setSettingsOpen] = useState(false);

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
  if (!sess) return <AuthScreen reason={signedOutReason} />;

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
          <button type="button" onClick={() => setSettingsOpen(true)}>
            Notifications
          </button>
          <button type="button" onClick={() => void session.logout()}>
            Log out
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === "board" ? <BoardPage key={route.id} boardId={route.id} me={sess.user} /> : <BoardsPage />}
      </main>
      {settingsOpen && <SettingsDialog onClose={() => setSettingsOpen(false)} />}
    </>
  );
}

function AuthScreen(props: { reason: string | null }) {
  const [mode, setMode] = useState<"login" | "signup">("login");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "signup") await session.signUp(email.trim(), name.trim(), password);
      else await session.login(email.trim(), password);
    } catch (err) {
      setError(
        describeError(err, mode === "signup" ? "sign up" : "log in", {
          UNAUTHENTICATED: "Could not log in: the email or password is wrong.",
          CONFLICT: "Could not sign up: an account with this email already exists. Log in instead.",
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth" id="main">
      <h1>Taskboard</h1>
      {props.reason && (
        <p class="banner info" role="status">
          {props.reason}
        </p>
      )}
      <div class="tabs" role="group" aria-label="Choose">
        <button type="button" aria-pressed={mode === "login"} onClick={() => setMode("login")}>
          Log in
        </button>
        <button type="button" aria-pressed={mode === "signup"} onClick={() => setMode("signup")}>
          Sign up
        </button>
      </div>
      <form onSubmit={submit} class="stack" aria-label={mode === "login" ? "Log in" : "Sign up"}>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        {mode === "signup" && (
          <label>
            Name
            <input type="text" name="name" autoComplete="name" required value={name}
              onInput={(e) => setName(e.currentTarget.value)} />
          </label>
        )}
        <label>
          Password
          <input type="password" name="password" required minLength={mode === "signup" ? 8 : undefined}
            autoComplete={mode === "signup" ? "new-password" : "current-password"} value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} aria-describedby={mode === "signup" ? "pw-hint" : undefined} />
        </label>
        {mode === "signup" && <p id="pw-hint" class="hint">At least 8 characters.</p>}
        <ErrorBanner message={error} />
        <button type="submit" class="primary" disabled={busy}>
          {mode === "login" ? "Log in" : "Create account"}
        </button>
      </form>
    </main>
  );
}
