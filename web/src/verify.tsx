// A confirmed address: the page after sign-up, the banner while the address is
// unconfirmed, and the page the mailed link opens.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { REQUEST_VERIFICATION, VERIFY_EMAIL, VIEWER_STATUS } from "./accountqueries";
import { ErrorBanner } from "./ui";

// Whether the signed-in person's address is confirmed (null: not known yet),
// shared by the banner, the pages and the invitations.
let verified: boolean | null = null;
let verifiedOf = "";
const listeners = new Set<(v: boolean | null) => void>();

function setVerified(userId: string, v: boolean | null): void {
  verified = v;
  verifiedOf = userId;
  for (const fn of listeners) fn(v);
}

export function markVerified(userId: string): void {
  setVerified(userId, true);
}

export function useEmailVerified(userId: string): boolean | null {
  const [v, setV] = useState(verifiedOf === userId ? verified : null);
  useEffect(() => {
    listeners.add(setV);
    if (verifiedOf !== userId) {
      setVerified(userId, null);
      gql<{ viewer: { emailVerified: boolean } }>(VIEWER_STATUS)
        .then((d) => setVerified(userId, d.viewer.emailVerified))
        .catch(() => {
          // Unknown: the banner stays away, and the next page that asks tries again.
          if (verifiedOf === userId) verifiedOf = "";
        });
    }
    return () => void listeners.delete(setV);
  }, [userId]);
  return v;
}

function ResendButton(props: { label: string }) {
  const [state, setState] = useState<"idle" | "busy" | "sent">("idle");
  const [error, setError] = useState<string | null>(null);
  async function resend() {
    setState("busy");
    setError(null);
    try {
      await gql(REQUEST_VERIFICATION);
      setState("sent");
    } catch (e) {
      setError(describeError(e, "send the link"));
      setState("idle");
    }
  }
  return (
    <>
      <button type="button" onClick={() => void resend()} disabled={state === "busy"}>
        {props.label}
      </button>
      <span role="status" class="ok">
        {state === "sent" ? "Sent: a new link is on its way." : ""}
      </span>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
    </>
  );
}

export function VerifyBanner(props: { userId: string; email: string }) {
  const v = useEmailVerified(props.userId);
  if (v !== false) return null;
  return (
    <div class="banner info verify-banner" role="region" aria-label="Confirm your address">
      <span>
        Please confirm your address <strong>{props.email}</strong>: open the link we mailed you. Until then we send you no
        task mail, and you cannot accept invitations.
      </span>
      <ResendButton label="Send the link again" />
    </div>
  );
}

export function CheckMailPage(props: { email: string }) {
  useEffect(() => {
    document.title = "Check your mail — Taskboard";
  }, []);
  return (
    <div class="page narrow">
      <h1>Check your mail</h1>
      <p>
        We sent a link to <strong>{props.email}</strong>. Open it to confirm the address; it works once, for 24 hours.
      </p>
      <p class="hint">Nothing arrived? Look in the spam folder, or have it sent again.</p>
      <div class="row">
        <ResendButton label="Send the link again" />
      </div>
      <p>
        <a href="#/">Continue to your boards</a>
      </p>
    </div>
  );
}

export function VerifyEmailPage(props: { userId: string; email: string; token: string }) {
  const [state, setState] = useState<"busy" | "done" | "failed">("busy");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = "Confirm your address — Taskboard";
    gql(VERIFY_EMAIL, { token: props.token })
      .then(() => {
        markVerified(props.userId);
        setState("done");
        // The token is spent: keep it out of the address bar and the history.
        window.history.replaceState(null, "", "/#/verify-email");
      })
      .catch((e) => {
        setError(
          describeError(e, "confirm the address", {
            BAD_USER_INPUT: `This link does not work any more: it was used already, it expired (links work for 24 hours), or it was sent to another account than ${props.email}.`,
          }),
        );
        setState("failed");
      });
  }, [props.token]);
  return (
    <div class="page narrow">
      <h1>Confirm your address</h1>
      {state === "busy" && <p role="status">Confirming {props.email}…</p>}
      {state === "done" && (
        <>
          <p role="status" class="ok">
            Your address {props.email} is confirmed.
          </p>
          <p>
            <a href="#/">Go to your boards</a>
          </p>
        </>
      )}
      {state === "failed" && (
        <>
          <ErrorBanner message={error} />
          <div class="row">
            <ResendButton label="Send a new link" />
            <a href="#/">Go to your boards</a>
          </div>
        </>
      )}
    </div>
  );
}
