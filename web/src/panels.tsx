// Side panels (members, activity) and the notification settings dialog.

import { useEffect, useRef, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { formatDateTime } from "./dates";
import { ADD_MEMBER, BOARD_ACTIVITY, REMOVE_MEMBER, TASK_ACTIVITY, UPDATE_SETTINGS, VIEWER_SETTINGS } from "./queries";
import type { ActivityEntry, Board, BoardRole, Member, NotificationSettings, User } from "./types";
import { ErrorBanner, Modal } from "./ui";

export function PanelHead(props: { title: string; onClose: () => void }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div class="panel-head">
      <h2 ref={ref} tabIndex={-1}>
        {props.title}
      </h2>
      <button type="button" class="icon" aria-label="Close panel" onClick={props.onClose}>
        ×
      </button>
    </div>
  );
}

export function MembersPanel(props: {
  board: Board;
  me: User;
  onClose: () => void;
  onMemberAdded: (m: Member) => void;
  onMemberRemoved: (userId: string) => void;
}) {
  const owner = props.board.viewerRole === "OWNER";
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<BoardRole>("MEMBER");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  async function add(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const d = await gql<{ addBoardMember: Member }>(ADD_MEMBER, { boardId: props.board.id, email: email.trim(), role });
      props.onMemberAdded(d.addBoardMember);
      setStatus(`Added ${d.addBoardMember.user.name}.`);
      setEmail("");
    } catch (err) {
      setError(
        describeError(err, "add the member", {
          NOT_FOUND: `No one has signed up with ${email.trim()} yet. Ask them to sign up first.`,
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  async function remove(m: Member) {
    setError(null);
    try {
      await gql(REMOVE_MEMBER, { boardId: props.board.id, userId: m.user.id });
      props.onMemberRemoved(m.user.id);
      setStatus(`Removed ${m.user.name}.`);
    } catch (err) {
      setError(describeError(err, `remove ${m.user.name}`));
    }
  }

  return (
    <div class="panel">
      <PanelHead title="Members" onClose={props.onClose} />
      <ul class="members">
        {props.board.members.map((m) => (
          <li key={m.user.id}>
            <span>
              <strong>{m.user.name}</strong>
              {m.user.id === props.me.id && " (you)"}
              <br />
              <span class="muted">{m.user.email}</span>
            </span>
            <span class="role">{m.role === "OWNER" ? "Owner" : "Member"}</span>
            {owner && m.user.id !== props.me.id && (
              <button type="button" class="link danger" onClick={() => void remove(m)} aria-label={`Remove ${m.user.name} (${m.user.email})`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <p role="status" class="sr-only">
        {status}
      </p>
      {owner ? (
        <form class="stack" onSubmit={add} aria-label="Add a member">
          <label>
            Add member by email
            <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.currentTarget.value as BoardRole)}>
              <option value="MEMBER">Member</option>
              <option value="OWNER">Owner</option>
            </select>
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Add member
          </button>
        </form>
      ) : (
        <p class="hint">Only the board's owners add and remove members.</p>
      )}
    </div>
  );
}

interface ActivityPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: ActivityEntry }[];
}

export function ActivityPanel(props: {
  boardId: string;
  task?: { id: string; title: string };
  tick: number;
  onBoard: () => void;
  onClose: () => void;
}) {
  const [entries, setEntries] = useState<ActivityEntry[] | null>(null);
  const [page, setPage] = useState<ActivityPage["pageInfo"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const taskId = props.task?.id;

  async function fetchPage(after: string | null): Promise<ActivityPage | null> {
    if (taskId) {
      const d = await gql<{ task: { activity: ActivityPage } | null }>(TASK_ACTIVITY, { id: taskId, after });
      return d.task?.activity ?? null;
    }
    const d = await gql<{ board: { activity: ActivityPage } | null }>(BOARD_ACTIVITY, { id: props.boardId, after });
    return d.board?.activity ?? null;
  }

  async function reload() {
    try {
      const p = await fetchPage(null);
      setEntries(p ? p.edges.map((e) => e.node) : []);
      setPage(p?.pageInfo ?? null);
      setError(null);
    } catch (e) {
      setError(describeError(e, "load the activity"));
    }
  }

  async function more() {
    if (!page?.endCursor) return;
    try {
      const p = await fetchPage(page.endCursor);
      if (p) {
        setEntries((cur) => [...(cur ?? []), ...p.edges.map((e) => e.node)]);
        setPage(p.pageInfo);
      }
    } catch (e) {
      setError(describeError(e, "load more activity"));
    }
  }

  useEffect(() => {
    setEntries(null);
    void reload();
  }, [taskId, props.boardId]);

  // The log is written just after the change commits (through the outbox), so
  // a live event is followed by two reads: soon, and a little later.
  useEffect(() => {
    if (props.tick === 0) return;
    const a = window.setTimeout(() => void reload(), 400);
    const b = window.setTimeout(() => void reload(), 2000);
    return () => {
      window.clearTimeout(a);
      window.clearTimeout(b);
    };
  }, [props.tick]);

  return (
    <div class="panel">
      <PanelHead title={props.task ? `History: ${props.task.title}` : "Board activity"} onClose={props.onClose} />
      <div class="row">
        {props.task && (
          <button type="button" class="link" onClick={props.onBoard}>
            Show the whole board's activity
          </button>
        )}
        <button type="button" onClick={() => void reload()}>
          Refresh
        </button>
      </div>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {entries === null ? (
        <p role="status">Loading activity…</p>
      ) : entries.length === 0 ? (
        <p>No activity yet.</p>
      ) : (
        <ol class="activity" aria-label="Activity, newest first">
          {entries.map((a) => (
            <li key={a.id} data-kind={a.kind}>
              <p class="msg">{a.message}</p>
              <p class="muted">
                <time dateTime={a.at}>{formatDateTime(a.at)}</time> · {a.actorEmail}
              </p>
            </li>
          ))}
        </ol>
      )}
      {page?.hasNextPage && (
        <button type="button" onClick={() => void more()}>
          Load older entries
        </button>
      )}
    </div>
  );
}

export function SettingsDialog(props: { onClose: () => void }) {
  const [s, setS] = useState<NotificationSettings | null>(null);
  const [phone, setPhone] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    gql<{ viewer: { notificationSettings: NotificationSettings } }>(VIEWER_SETTINGS)
      .then((d) => {
        setS(d.viewer.notificationSettings);
        setPhone(d.viewer.notificationSettings.phoneNumber ?? "");
      })
      .catch((e) => setError(describeError(e, "load your settings")));
  }, []);

  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setBusy(true);
    setError(null);
    setSaved("");
    try {
      const d = await gql<{ updateNotificationSettings: NotificationSettings }>(UPDATE_SETTINGS, {
        input: {
          emailOnTaskChange: s.emailOnTaskChange,
          emailDeadlineReminders: s.emailDeadlineReminders,
          smsOnTaskChange: s.smsOnTaskChange,
          phoneNumber: phone.trim() ? phone.trim() : null,
        },
      });
      setS(d.updateNotificationSettings);
      setPhone(d.updateNotificationSettings.phoneNumber ?? "");
      setSaved("Settings saved.");
    } catch (err) {
      setError(
        describeError(err, "save your settings", {
          BAD_USER_INPUT: "Could not save: the phone number must be in international format, e.g. +821012345678.",
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="Notification settings" onClose={props.onClose}>
      {!s ? (
        error ? <ErrorBanner message={error} /> : <p role="status">Loading…</p>
      ) : (
        <form class="stack" onSubmit={save}>
          <fieldset>
            <legend>Email</legend>
            <label class="check">
              <input type="checkbox" checked={s.emailOnTaskChange} onChange={(e) => setS({ ...s, emailOnTaskChange: e.currentTarget.checked })} />
              Mail me when a task I supervise or am assigned to changes
            </label>
            <label class="check">
              <input type="checkbox" checked={s.emailDeadlineReminders} onChange={(e) => setS({ ...s, emailDeadlineReminders: e.currentTarget.checked })} />
              Mail me about my tasks that are due within a day or overdue
            </label>
          </fieldset>
          <fieldset>
            <legend>Text messages</legend>
            <label class="check">
              <input type="checkbox" checked={s.smsOnTaskChange} onChange={(e) => setS({ ...s, smsOnTaskChange: e.currentTarget.checked })} />
              Also text me when a task I am assigned to changes
            </label>
            <label>
              Phone number
              <input type="tel" value={phone} placeholder="+821012345678" aria-describedby="phone-hint" onInput={(e) => setPhone(e.currentTarget.value)} />
            </label>
            <p id="phone-hint" class="hint">
              International format with country code. Leave empty to remove it.
            </p>
          </fieldset>
          <ErrorBanner message={error} onDismiss={() => setError(null)} />
          <p role="status" class="ok">
            {saved}
          </p>
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              Save settings
            </button>
            <button type="button" onClick={props.onClose}>
              Close
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
