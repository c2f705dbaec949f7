// The settings page: the name, notifications, the phone and its code, the
// password, and deleting the account.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql, session, toApiError, type AuthPayload } from "./api";
import {
  ACCOUNT_SETTINGS,
  CHANGE_PASSWORD,
  DELETE_ACCOUNT,
  REQUEST_PHONE_CODE,
  SAVE_SETTINGS,
  UPDATE_PROFILE,
  VERIFY_PHONE,
} from "./accountqueries";
import { LimitNote, overBy, useLimits } from "./limits";
import type { User } from "./types";
import { ErrorBanner } from "./ui";

export interface AccountSettings {
  emailOnTaskChange: boolean;
  emailDeadlineReminders: boolean;
  emailOnMention: boolean;
  smsOnTaskChange: boolean;
  phoneNumber: string | null;
  phoneVerified: boolean;
  emailSuppressed: boolean;
  emailSuppressedReason: string | null;
}

type Switch = "emailOnTaskChange" | "emailDeadlineReminders" | "emailOnMention" | "smsOnTaskChange";

const SWITCHES: [Switch, string][] = [
  ["emailOnTaskChange", "Mail me when a task I supervise or am assigned to changes"],
  ["emailDeadlineReminders", "Mail me about my tasks that are due within a day or overdue"],
  ["emailOnMention", "Mail me when someone mentions me in a comment"],
  ["smsOnTaskChange", "Also text me when a task I am assigned to changes"],
];

export function SettingsPage(props: { me: User }) {
  const [s, setS] = useState<AccountSettings | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = "Settings — Taskboard";
    gql<{ viewer: { notificationSettings: AccountSettings } }>(ACCOUNT_SETTINGS)
      .then((d) => setS(d.viewer.notificationSettings))
      .catch((e) => setError(describeError(e, "load your settings")));
  }, []);

  return (
    <div class="page narrow settings-page">
      <p>
        <a href="#/">Back to your boards</a>
      </p>
      <h1>Settings</h1>
      <p class="muted">
        {props.me.name} · {props.me.email}
      </p>
      <NameSection me={props.me} />
      {!s ? (
        error ? <ErrorBanner message={error} /> : <p role="status">Loading…</p>
      ) : (
        <>
          <NotificationsSection s={s} onSaved={setS} />
          <PhoneSection s={s} onChanged={setS} />
        </>
      )}
      <PasswordSection />
      <DeleteSection />
    </div>
  );
}

function NameSection(props: { me: User }) {
  const limits = useLimits();
  const [name, setName] = useState(props.me.name);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState("");
  const [busy, setBusy] = useState(false);
  const max = limits?.personNameMaxLength;
  const unchanged = name.trim() === props.me.name;

  async function save(e: Event) {
    e.preventDefault();
    if (overBy(name.trim(), max)) return;
    setBusy(true);
    setError(null);
    setSaved("");
    try {
      const d = await gql<{ updateProfile: { user: User } }>(UPDATE_PROFILE, { name: name.trim() });
      session.renamed(d.updateProfile.user);
      setName(d.updateProfile.user.name);
      setSaved("Name saved.");
    } catch (err) {
      setError(describeError(err, "save your name"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="name-h">
      <h2 id="name-h">Name</h2>
      <form class="stack" onSubmit={save} aria-label="Your name">
        <label>
          Name
          <input type="text" autoComplete="name" required value={name} aria-describedby="profile-name-limit"
            onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <LimitNote id="profile-name-limit" text={name.trim()} max={max} />
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <p role="status" class="ok">
          {saved}
        </p>
        <div class="row">
          <button type="submit" class="primary" disabled={busy || unchanged || overBy(name.trim(), max) > 0}>
            Save name
          </button>
        </div>
      </form>
    </section>
  );
}

function NotificationsSection(props: { s: AccountSettings; onSaved: (s: AccountSettings) => void }) {
  const [draft, setDraft] = useState(props.s);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState("");
  const [busy, setBusy] = useState(false);

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved("");
    try {
      const input = Object.fromEntries(SWITCHES.map(([k]) => [k, draft[k]]));
      const d = await gql<{ updateNotificationSettings: AccountSettings }>(SAVE_SETTINGS, { input });
      props.onSaved(d.updateNotificationSettings);
      setDraft(d.updateNotificationSettings);
      setSaved("Notification settings saved.");
    } catch (err) {
      setError(describeError(err, "save your settings"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="notif-h">
      <h2 id="notif-h">Notifications</h2>
      {props.s.emailSuppressed && (
        <p class="banner error">
          Mail to your address stopped: a mail to it {props.s.emailSuppressedReason === "COMPLAINT" ? "was reported as spam" : "bounced"}.
        </p>
      )}
      <form class="stack" onSubmit={save} aria-label="Notifications">
        {SWITCHES.map(([k, text]) => (
          <label class="check" key={k}>
            <input type="checkbox" checked={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.currentTarget.checked })} />
            {text}
          </label>
        ))}
        <p class="hint">Texts go only to a confirmed phone number (below).</p>
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <p role="status" class="ok">
          {saved}
        </p>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            Save notification settings
          </button>
        </div>
      </form>
    </section>
  );
}

function PhoneSection(props: { s: AccountSettings; onChanged: (s: AccountSettings) => void }) {
  const [phone, setPhone] = useState(props.s.phoneNumber ?? "");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  async function run(action: string, fn: () => Promise<void>, overrides = {}) {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      await fn();
    } catch (err) {
      setError(describeError(err, action, overrides));
    } finally {
      setBusy(false);
    }
  }

  const sendCode = (e: Event) => {
    e.preventDefault();
    void run(
      "text the code",
      async () => {
        await gql(REQUEST_PHONE_CODE, { phone: phone.trim() });
        setSentTo(phone.trim());
        setCode("");
        props.onChanged({ ...props.s, phoneNumber: phone.trim(), phoneVerified: false });
        setStatus(`We texted a 6-digit code to ${phone.trim()}. It works for 10 minutes.`);
      },
      { BAD_USER_INPUT: "Could not text the code: the phone number must be in international format, e.g. +821012345678." },
    );
  };

  const confirm = (e: Event) => {
    e.preventDefault();
    void run(
      "confirm the number",
      async () => {
        const d = await gql<{ verifyPhone: AccountSettings }>(VERIFY_PHONE, { code: code.trim() });
        props.onChanged(d.verifyPhone);
        setSentTo(null);
        setStatus(`${d.verifyPhone.phoneNumber ?? "The number"} is confirmed.`);
      },
      { BAD_USER_INPUT: "That code is not right, or it expired. Check the text message, or have a new code sent." },
    );
  };

  const remove = () =>
    void run("remove the number", async () => {
      const d = await gql<{ updateNotificationSettings: AccountSettings }>(SAVE_SETTINGS, { input: { phoneNumber: null } });
      props.onChanged(d.updateNotificationSettings);
      setPhone("");
      setSentTo(null);
      setStatus("The phone number is removed.");
    });

  const n = props.s.phoneNumber;
  return (
    <section aria-labelledby="phone-h">
      <h2 id="phone-h">Phone</h2>
      <p class="phone-state">
        {!n ? "No phone number." : props.s.phoneVerified ? `${n} (confirmed)` : `${n} (not confirmed: no texts go to it)`}
      </p>
      <form class="stack" onSubmit={sendCode} aria-label="Phone number">
        <label>
          Phone number
          <input type="tel" value={phone} placeholder="+821012345678" required aria-describedby="phone-hint"
            onInput={(e) => setPhone(e.currentTarget.value)} />
        </label>
        <p id="phone-hint" class="hint">International format with country code. We text it a code to confirm it.</p>
        <div class="row">
          <button type="submit" disabled={busy}>
            Text me a code
          </button>
          {n && (
            <button type="button" class="link danger" onClick={remove} disabled={busy}>
              Remove the number
            </button>
          )}
        </div>
      </form>
      {sentTo && (
        <form class="stack" onSubmit={confirm} aria-label="Confirm the number">
          <label>
            Code from the text message
            <input type="text" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required
              value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              Confirm number
            </button>
          </div>
        </form>
      )}
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <p role="status" class="ok">
        {status}
      </p>
    </section>
  );
}

function PasswordSection() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      const d = await gql<{ changePassword: AuthPayload }>(CHANGE_PASSWORD, { current, password: next });
      session.adopt(d.changePassword);
      setCurrent("");
      setNext("");
      setStatus("Password changed. Every other session was logged out.");
    } catch (err) {
      const api = toApiError(err);
      setError(
        describeError(err, "change the password", {
          BAD_USER_INPUT:
            api.extensions.field === "currentPassword"
              ? "Could not change the password: the current password is not right."
              : undefined,
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="pw-h">
      <h2 id="pw-h">Password</h2>
      <form class="stack" onSubmit={submit} aria-label="Change password">
        <label>
          Current password
          <input type="password" autoComplete="current-password" required value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>
          New password
          <input type="password" autoComplete="new-password" required minLength={8} value={next}
            onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        <p class="hint">At least 8 characters. Your other sessions are logged out.</p>
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <p role="status" class="ok">
          {status}
        </p>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}

function DeleteSection() {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await gql(DELETE_ACCOUNT, { password });
      session.drop("Your account is deleted.");
    } catch (err) {
      setError(
        describeError(err, "delete the account", {
          BAD_USER_INPUT: "Could not delete the account: the password is not right.",
          CONFLICT: `Could not delete the account: ${toApiError(err).message.replace(/\.$/, "")}. Make another member an owner of that board first, or delete the board.`,
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="del-h" class="danger-zone">
      <h2 id="del-h">Delete account</h2>
      <p>
        Boards only you belong to are deleted with it. You leave the boards you share: tasks assigned to you there
        become unassigned, tasks you supervise show “Deleted user”. Your name, email, phone number and sessions are
        deleted; the activity log keeps its history. This cannot be undone.
      </p>
      {!open ? (
        <button type="button" class="danger" onClick={() => setOpen(true)}>
          Delete my account…
        </button>
      ) : (
        <form class="stack" onSubmit={submit} aria-label="Delete account">
          <label>
            Your password, to confirm
            <input type="password" autoComplete="current-password" required value={password}
              onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <ErrorBanner message={error} onDismiss={() => setError(null)} />
          <div class="row">
            <button type="submit" class="danger" disabled={busy}>
              Delete my account for good
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
