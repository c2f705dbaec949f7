// Signed out: log in, sign up, a forgotten password, and the reset page its mail opens.

import { useEffect, useState } from "preact/hooks";
import { anonymous, describeError, session, toApiError, waitText, type AuthPayload } from "./api";
import { REQUEST_RESET, RESET_PASSWORD } from "./accountqueries";
import { navigate } from "./app";
import { LimitNote, useLimits } from "./limits";
import { ErrorBanner } from "./ui";

type Mode = "login" | "signup" | "forgot";

export function AuthScreen(props: { reason: string | null; note?: string; afterSignUp?: string }) {
  const [mode, setMode] = useState<Mode>("login");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [limited, setLimited] = useState(false);
  const [resetSent, setResetSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const limits = useLimits();
  const minPassword = limits?.passwordMinLength ?? 8;

  function choose(m: Mode) {
    setMode(m);
    setError(null);
    setLimited(false);
    setResetSent(null);
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setLimited(false);
    try {
      if (mode === "forgot") {
        await anonymous(REQUEST_RESET, { email: email.trim() });
        setResetSent(email.trim());
      } else if (mode === "signup") {
        await session.signUp(email.trim(), name.trim(), password);
        navigate(props.afterSignUp ?? "#/welcome");
      } else {
        await session.login(email.trim(), password);
      }
    } catch (err) {
      const api = toApiError(err);
      const wait = Number(api.extensions.retryAfterSeconds);
      if (api.code === "RATE_LIMITED") setLimited(true);
      setError(
        describeError(err, mode === "signup" ? "sign up" : mode === "login" ? "log in" : "send the reset link", {
          UNAUTHENTICATED: "Could not log in: the email or password is wrong.",
          CONFLICT: "Could not sign up: an account with this email already exists. Log in instead.",
          RATE_LIMITED:
            wait > 0
              ? `Too many failed attempts for this address. Try again in ${waitText(wait)}, or reset your password.`
              : undefined,
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  const label = mode === "login" ? "Log in" : mode === "signup" ? "Sign up" : "Reset your password";
  return (
    <main class="auth" id="main">
      <h1>Taskboard</h1>
      {props.reason && (
        <p class="banner info" role="status">
          {props.reason}
        </p>
      )}
      {props.note && <p class="banner info">{props.note}</p>}
      <div class="tabs" role="group" aria-label="Choose">
        <button type="button" aria-pressed={mode === "login"} onClick={() => choose("login")}>
          Log in
        </button>
        <button type="button" aria-pressed={mode === "signup"} onClick={() => choose("signup")}>
          Sign up
        </button>
      </div>
      {mode === "forgot" && (
        <p class="hint">Enter your account's email. If it has an account, we mail it a link to choose a new password.</p>
      )}
      <form onSubmit={submit} class="stack" aria-label={label}>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        {mode === "signup" && (
          <label>
            Name
            <input type="text" name="name" autoComplete="name" required value={name} aria-describedby="name-limit"
              onInput={(e) => setName(e.currentTarget.value)} />
          </label>
        )}
        {mode === "signup" && <LimitNote id="name-limit" text={name.trim()} max={limits?.personNameMaxLength} />}
        {mode !== "forgot" && (
          <label>
            Password
            <input type="password" name="password" required minLength={mode === "signup" ? minPassword : undefined}
              autoComplete={mode === "signup" ? "new-password" : "current-password"} value={password}
              onInput={(e) => setPassword(e.currentTarget.value)} aria-describedby={mode === "signup" ? "pw-hint" : undefined} />
          </label>
        )}
        {mode === "signup" && <p id="pw-hint" class="hint">At least {minPassword} characters.</p>}
        <ErrorBanner message={error} />
        {resetSent && (
          <p role="status" class="ok">
            If {resetSent} has an account, a link to reset its password is on its way. It works once, for 30 minutes.
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {mode === "login" ? "Log in" : mode === "signup" ? "Create account" : "Send reset link"}
        </button>
        {mode === "login" && (
          <button type="button" class="link" onClick={() => choose("forgot")}>
            {limited ? "Reset your password" : "Forgot your password?"}
          </button>
        )}
        {mode === "forgot" && (
          <button type="button" class="link" onClick={() => choose("login")}>
            Back to log in
          </button>
        )}
      </form>
    </main>
  );
}

/** The page the reset mail opens: a new password, then signed in (every other session ends). */
export function ResetPasswordPage(props: { token: string }) {
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = "Choose a new password — Taskboard";
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (password !== again) {
      setError("The two passwords differ. Type the same one twice.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const d = await anonymous<{ resetPassword: AuthPayload }>(RESET_PASSWORD, { token: props.token, password });
      session.adopt(d.resetPassword);
      navigate("#/", "Your password is changed, and you are logged in. Every other session was logged out.");
    } catch (err) {
      setError(
        describeError(err, "change the password", {
          BAD_USER_INPUT: toApiError(err).extensions.field !== "token"
            ? `Could not change the password: ${toApiError(err).message.replace(/\.$/, "")}.`
            : "This reset link does not work any more: it was used already or it expired (links work for 30 minutes). Ask for a new one from the log-in page.",
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth" id="main">
      <h1>Choose a new password</h1>
      <form onSubmit={submit} class="stack" aria-label="Choose a new password">
        <label>
          New password
          <input type="password" autoComplete="new-password" required minLength={8} value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} aria-describedby="reset-hint" />
        </label>
        <label>
          New password again
          <input type="password" autoComplete="new-password" required minLength={8} value={again}
            onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        <p id="reset-hint" class="hint">At least 8 characters. Every other session of the account is logged out.</p>
        <ErrorBanner message={error} />
        <button type="submit" class="primary" disabled={busy}>
          Set password and log in
        </button>
        <a href="#/">Back to log in</a>
      </form>
    </main>
  );
}
