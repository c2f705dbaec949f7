// Side panels: members (with roles, invitations and leaving) and activity.

import { useEffect, useRef, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { formatDateTime } from "./dates";
import { BoardInvitations, LeaveBoard, MemberRole } from "./invitations";
import { ADD_MEMBER, BOARD_ACTIVITY, REMOVE_MEMBER, TASK_ACTIVITY } from "./queries";
import type { ActivityEntry, Board, BoardRole, Member, User } from "./types";
import { ErrorBanner } from "./ui";

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
          NOT_FOUND: `No one has signed up with ${email.trim()} yet. Invite them by email below.`,
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
            <MemberRole board={props.board} member={m} onChanged={props.onMemberAdded} onError={setError} />
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
      {owner && <BoardInvitations boardId={props.board.id} members={props.board.members.map((m) => m.user.id).join()} />}
      <p>
        <LeaveBoard board={props.board} me={props.me} />
      </p>
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
