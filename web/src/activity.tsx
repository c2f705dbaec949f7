// The activity log as a person reads it: each entry rendered from its kind and
// `changes` ("Ada moved Plan the retro to In review · 2 min ago"), people by
// name, times relative and local. The server's `message` (the seed's log line,
// with addresses and an ISO time) stays in the log; it is not shown.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { formatDate, formatDateTime } from "./dates";
import { PanelHead } from "./panels";
import { BOARD_ACTIVITY, TASK_ACTIVITY } from "./queries";
import { STATUS_LABEL, type ActivityEntry, type Board, type Task, type TaskStatus } from "./types";
import { ErrorBanner } from "./ui";

interface Change {
  from?: unknown;
  to?: unknown;
}

/** "just now", "5 min ago", "3 h ago", then the local date and time. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return formatDateTime(iso);
}

function list(parts: string[]): string {
  return parts.length <= 1 ? parts.join("") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** One entry as a sentence, without the time. */
export function describeEntry(a: ActivityEntry, board: Board, tasks: Map<string, Task>): string {
  const person = (email: string): string => board.members.find((m) => m.user.email === email)?.user.name ?? "A former member";
  const personById = (id: unknown): string =>
    typeof id === "string" ? board.members.find((m) => m.user.id === id)?.user.name ?? "a former member" : "nobody";
  const who = person(a.actorEmail);
  const ch = (a.changes && typeof a.changes === "object" ? a.changes : {}) as Record<string, Change>;
  const titleChange = ch.title;
  const title = (a.taskId && tasks.get(a.taskId)?.title) || (titleChange?.to as string | undefined) || "a task";
  const status = (v: unknown): string => STATUS_LABEL[v as TaskStatus] ?? String(v);
  // For member entries: the other person the server's line names.
  const other = board.members.find((m) => m.user.email !== a.actorEmail && a.message.includes(m.user.email))?.user.name;

  switch (a.kind) {
    case "TASK_CREATED":
      return `${who} created ${title}`;
    case "TASK_DELETED":
      return `${who} deleted ${title}`;
    case "TASK_MOVED":
    case "TASK_STATUS_CHANGED":
      if (ch.status) return `${who} moved ${title} to ${status(ch.status.to)}`;
      return `${who} changed the order of ${title}`;
    case "TASK_ASSIGNED":
    case "TASK_UPDATED": {
      const parts: string[] = [];
      if (titleChange) parts.push(`renamed “${String(titleChange.from)}” to “${String(titleChange.to)}”`);
      if (ch.status) parts.push(`moved ${title} to ${status(ch.status.to)}`);
      if (ch.assignee) parts.push(ch.assignee.to ? `assigned ${title} to ${personById(ch.assignee.to)}` : `unassigned ${title}`);
      if (ch.deadline)
        parts.push(ch.deadline.to ? `set the deadline of ${title} to ${formatDate(String(ch.deadline.to))}` : `removed the deadline of ${title}`);
      if (ch.description) parts.push(`changed the description of ${title}`);
      if (ch.labels) parts.push(`changed the labels of ${title}`);
      return parts.length ? `${who} ${list(parts)}` : `${who} changed ${title}`;
    }
    case "MEMBER_ADDED":
      return `${who} added ${other ?? "a member"} to the board`;
    case "MEMBER_REMOVED":
      return other ? `${who} removed ${other} from the board` : `${who} removed a member from the board`;
    case "MEMBER_ROLE_CHANGED": {
      const role = (r: unknown) => (r === "OWNER" ? "an owner" : "a member");
      return ch.role ? `${who} made ${other ?? "a member"} ${role(ch.role.to)}` : `${who} changed a member's role`;
    }
    case "COMMENT_ADDED":
      return `${who} commented on ${title}`;
    case "COMMENT_UPDATED":
      return `${who} edited a comment on ${title}`;
    case "COMMENT_DELETED":
      return `${who} deleted a comment on ${title}`;
    case "LABEL_CREATED":
      return `${who} created a label`;
    case "LABEL_UPDATED":
      return ch.name ? `${who} renamed the label “${String(ch.name.from)}” to “${String(ch.name.to)}”` : `${who} changed a label`;
    case "LABEL_DELETED":
      return `${who} deleted a label`;
    case "BOARD_RENAMED":
      return ch.name ? `${who} renamed the board from “${String(ch.name.from)}” to “${String(ch.name.to)}”` : `${who} renamed the board`;
    case "BOARD_DELETED":
      return `${who} deleted the board`;
    default:
      return `${who} changed the board`;
  }
}

interface ActivityPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: ActivityEntry }[];
}

export function ActivityPanel(props: {
  board: Board;
  tasks: Map<string, Task>;
  task?: { id: string; title: string };
  tick: number;
  onBoard: () => void;
  onClose: () => void;
}) {
  const [entries, setEntries] = useState<ActivityEntry[] | null>(null);
  const [page, setPage] = useState<ActivityPage["pageInfo"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const taskId = props.task?.id;
  const boardId = props.board.id;

  async function fetchPage(after: string | null): Promise<ActivityPage | null> {
    if (taskId) {
      const d = await gql<{ task: { activity: ActivityPage } | null }>(TASK_ACTIVITY, { id: taskId, after });
      return d.task?.activity ?? null;
    }
    const d = await gql<{ board: { activity: ActivityPage } | null }>(BOARD_ACTIVITY, { id: boardId, after });
    return d.board?.activity ?? null;
  }

  async function reload() {
    try {
      const p = await fetchPage(null);
      setEntries(p ? p.edges.map((e) => e.node) : []);
      setPage(p?.pageInfo ?? null);
      setNow(Date.now());
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
  }, [taskId, boardId]);

  // "2 min ago" keeps telling the truth.
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(t);
  }, []);

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
              <p class="msg">
                <span class="what">{describeEntry(a, props.board, props.tasks)}</span>
                <span class="muted">
                  {" · "}
                  <time dateTime={a.at} title={formatDateTime(a.at)}>
                    {relativeTime(a.at, now)}
                  </time>
                </span>
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
