// A task's comments in the side panel: oldest first with "load more", add,
// edit (the author) and delete (the author and the board's owners), mention
// completion from the board's members, and live COMMENT_* events applied in
// place. Bodies are plain text and rendered as text nodes only.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { formatDateTime } from "./dates";
import { overBy, useLimits } from "./limits";
import { MentionBox } from "./mentions";
import { ADD_COMMENT, DELETE_COMMENT, TASK_COMMENTS, UPDATE_COMMENT } from "./queries";
import type { BoardEvent, BoardRole, Comment, Member, TaskPermissions, User } from "./types";
import { ErrorBanner } from "./ui";

type Listener = (ev: BoardEvent) => void;

/** The board hands comment events to whichever panel is open. */
export class CommentBus {
  private listeners = new Set<Listener>();
  publish(ev: BoardEvent): void {
    for (const fn of this.listeners) fn(ev);
  }
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

interface CommentPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: Comment }[];
}

const MENTION = /(@[^\s@]+@[^\s@]+\.[A-Za-z0-9-]+)/;

/** The body as text, with `@email` mentions of members marked (still text nodes). */
function Body(props: { text: string; members: Member[] }) {
  const emails = new Set(props.members.map((m) => m.user.email.toLowerCase()));
  return (
    <p class="comment-body">
      {props.text.split(MENTION).map((part, i) =>
        i % 2 === 1 && emails.has(part.slice(1).toLowerCase()) ? (
          <span key={i} class="mention">
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </p>
  );
}

function CommentItem(props: {
  c: Comment;
  me: User;
  role: BoardRole;
  members: Member[];
  onChanged: (c: Comment) => void;
  onDeleted: (id: string) => void;
  onError: (m: string) => void;
}) {
  const limits = useLimits();
  const { c, me } = props;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(c.body);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const mine = c.author.id === me.id;

  async function save(e: Event) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    try {
      const d = await gql<{ updateComment: Comment }>(UPDATE_COMMENT, { id: c.id, body: text });
      props.onChanged(d.updateComment);
      setEditing(false);
    } catch (err) {
      props.onError(describeError(err, "save the comment"));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await gql(DELETE_COMMENT, { id: c.id });
      props.onDeleted(c.id);
    } catch (err) {
      props.onError(describeError(err, "delete the comment"));
      setBusy(false);
    }
  }

  return (
    <li class="comment" data-comment-id={c.id}>
      <p class="muted">
        <strong>{c.author.name}</strong> · <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
        {c.editedAt && " · edited"}
      </p>
      {editing ? (
        <form class="stack" onSubmit={save} aria-label="Edit comment">
          <MentionBox label="Edit comment" value={text} onChange={setText} members={props.members} max={limits?.commentMaxLength} />
          <div class="row">
            <button type="submit" class="primary" disabled={busy || !text.trim() || overBy(text, limits?.commentMaxLength) > 0}>
              Save comment
            </button>
            <button type="button" onClick={() => { setEditing(false); setText(c.body); }}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <Body text={c.body} members={props.members} />
      )}
      {!editing && (mine || props.role === "OWNER") && (
        <div class="row">
          {mine && (
            <button type="button" class="link" onClick={() => { setText(c.body); setEditing(true); }}>
              Edit
            </button>
          )}
          {confirm ? (
            <>
              <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
                Yes, delete the comment
              </button>
              <button type="button" onClick={() => setConfirm(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" class="link danger" onClick={() => setConfirm(true)}>
              Delete
            </button>
          )}
        </div>
      )}
    </li>
  );
}

export function Comments(props: {
  taskId: string;
  me: User;
  role: BoardRole;
  members: Member[];
  bus: CommentBus;
  /** The server's word on commenting (with its reason); absent while the task is unknown. */
  can?: TaskPermissions;
}) {
  const { taskId } = props;
  const [items, setItems] = useState<Comment[] | null>(null);
  const [page, setPage] = useState<CommentPage["pageInfo"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const limits = useLimits();
  // Comments added while older pages are still unread, live or by us: shown
  // apart below "load more" until those pages are in, then joined at the end.
  const [tail, setTail] = useState<Comment[]>([]);

  function add(list: Comment[], c: Comment): Comment[] {
    return list.some((x) => x.id === c.id) ? list.map((x) => (x.id === c.id ? c : x)) : [...list, c];
  }

  async function fetchPage(after: string | null): Promise<CommentPage | null> {
    const d = await gql<{ task: { comments: CommentPage } | null }>(TASK_COMMENTS, { id: taskId, after });
    return d.task?.comments ?? null;
  }

  useEffect(() => {
    let cancelled = false;
    setItems(null);
    setTail([]);
    fetchPage(null)
      .then((p) => {
        if (cancelled) return;
        setItems(p ? p.edges.map((e) => e.node) : []);
        setPage(p?.pageInfo ?? null);
      })
      .catch((e) => !cancelled && setError(describeError(e, "load the comments")));
    return () => {
      cancelled = true;
    };
  }, [taskId]);

  /** A comment changed: replace it where it is shown. */
  function changed(c: Comment) {
    setTail((cur) => cur.map((x) => (x.id === c.id ? c : x)));
    setItems((cur) => cur && cur.map((x) => (x.id === c.id ? c : x)));
  }

  /** A new comment: the newest, so last (once the older pages are all loaded). */
  function arrived(c: Comment) {
    if (page?.hasNextPage) {
      setTail((cur) => add(cur, c));
    } else setItems((cur) => add(cur ?? [], c));
  }

  useEffect(
    () =>
      props.bus.subscribe((ev) => {
        if (ev.taskId !== taskId) return;
        if (ev.kind === "COMMENT_ADDED" && ev.comment) arrived(ev.comment);
        if (ev.kind === "COMMENT_UPDATED" && ev.comment) changed(ev.comment);
        if (ev.kind === "COMMENT_DELETED" && ev.commentId) {
          const id = ev.commentId;
          setTail((cur) => cur.filter((x) => x.id !== id));
          setItems((cur) => cur && cur.filter((x) => x.id !== id));
        }
      }),
    [taskId, props.bus, page],
  );

  async function more() {
    if (!page?.endCursor) return;
    try {
      const p = await fetchPage(page.endCursor);
      if (!p) return;
      let next = [...(items ?? [])];
      for (const e of p.edges) next = add(next, e.node);
      if (!p.pageInfo.hasNextPage) {
        for (const c of tail) next = add(next, c);
        setTail([]);
      }
      setItems(next);
      setPage(p.pageInfo);
    } catch (e) {
      setError(describeError(e, "load more comments"));
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!draft.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const d = await gql<{ addComment: Comment }>(ADD_COMMENT, { taskId, body: draft });
      arrived(d.addComment);
      setDraft("");
    } catch (err) {
      setError(describeError(err, "add the comment"));
    } finally {
      setBusy(false);
    }
  }

  const item = (c: Comment) => (
    <CommentItem key={c.id} c={c} me={props.me} role={props.role} members={props.members}
      onChanged={changed}
      onDeleted={(id) => {
        setItems((cur) => cur && cur.filter((x) => x.id !== id));
        setTail((cur) => cur.filter((x) => x.id !== id));
      }}
      onError={setError} />
  );

  return (
    <section class="comments" aria-labelledby="comments-h">
      <h3 id="comments-h">Comments</h3>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {items === null ? (
        <p role="status">Loading comments…</p>
      ) : items.length === 0 ? (
        <p class="muted">No comments yet.</p>
      ) : (
        <ol class="comment-list" aria-label="Comments, oldest first">
          {items.map((c) => item(c))}
        </ol>
      )}
      {page?.hasNextPage && (
        <button type="button" onClick={() => void more()}>
          Load more comments
        </button>
      )}
      {tail.length > 0 && (
        <ol class="comment-list" aria-label="Newer comments">
          {tail.map((c) => item(c))}
        </ol>
      )}
      {props.can && !props.can.comment ? (
        <p class="hint why">{props.can.commentReason}</p>
      ) : (
      <form class="stack" onSubmit={submit} aria-label="Add a comment">
        <MentionBox label="Add a comment" value={draft} onChange={setDraft} members={props.members} max={limits?.commentMaxLength}
          hint="Type @ to mention a member; they get a mail." />
        <button type="submit" class="primary" disabled={busy || !draft.trim() || overBy(draft, limits?.commentMaxLength) > 0}>
          Comment
        </button>
      </form>
      )}
    </section>
  );
}
