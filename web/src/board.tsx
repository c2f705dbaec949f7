// One board: columns by status, cards, filters, drag and drop and keyboard
// moves, the live feed, and the side panels.

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { describeError, gql, toApiError, type ApiError } from "./api";
import { navigate } from "./app";
import { dueState, formatDate } from "./dates";
import { TaskEditor } from "./editor";
import { startBoardFeed, type LiveFeed, type LiveState } from "./live";
import { ActivityPanel, MembersPanel } from "./panels";
import { BOARD, BOARD_TASKS_PAGE, TASK, UPDATE_TASK } from "./queries";
import { STATUSES, STATUS_LABEL, type Board, type BoardEvent, type Task, type TaskStatus, type User } from "./types";
import { ErrorBanner } from "./ui";

interface Filters {
  assignee: string; // "" anyone, "me", "none", or a user id
  status: "" | TaskStatus;
  search: string;
  dueSoon: boolean;
}
const NO_FILTERS: Filters = { assignee: "", status: "", search: "", dueSoon: false };

type EditorState = { mode: "edit"; taskId: string } | { mode: "new"; status: TaskStatus };
type PanelState = { kind: "activity"; taskId?: string } | { kind: "members" } | null;

interface TaskPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: Task }[];
}

const LIVE_LABEL: Record<LiveState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

declare global {
  interface Window {
    __taskboard?: { dropConnection(): void; lastSeq(): number; liveState(): LiveState };
  }
}

export function BoardPage(props: { boardId: string; me: User }) {
  const { boardId, me } = props;
  const [board, setBoard] = useState<Board | null>(null);
  const [tasks, setTasks] = useState<Map<string, Task>>(new Map());
  const [fatal, setFatal] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const [live, setLive] = useState<LiveState>("connecting");
  const [reloadKey, setReloadKey] = useState(0);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [editor, setEditor] = useState<EditorState | null>(null);
  const [panel, setPanel] = useState<PanelState>(null);
  const [activityTick, setActivityTick] = useState(0);
  const [dragging, setDragging] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState<TaskStatus | null>(null);
  const feedRef = useRef<LiveFeed | null>(null);
  const focusAfterRender = useRef<string | null>(null);
  const lastActor = useRef(new Map<string, string>());
  const liveRef = useRef<LiveState>("connecting");

  // The newest version of each task the server told us of (events, answers).
  const known = useRef(new Map<string, Task>());
  // Moves sent or queued per task: shown at once, sent one after another so
  // each carries the version the previous one produced.
  const [pending, setPending] = useState<Map<string, TaskStatus>>(new Map());
  const moveQueue = useRef(new Map<string, { tail: Promise<void>; gen: number }>());

  const upsert = useCallback((t: Task) => {
    const cur = known.current.get(t.id);
    if (cur && cur.version > t.version) return;
    known.current.set(t.id, t);
    setTasks((prev) => {
      const shown = prev.get(t.id);
      if (shown && shown.version > t.version) return prev;
      const next = new Map(prev);
      next.set(t.id, t);
      return next;
    });
  }, []);

  const applyEvent = useCallback(
    (ev: BoardEvent) => {
      const mine = ev.actorEmail.toLowerCase() === me.email.toLowerCase();
      if (ev.taskId) lastActor.current.set(ev.taskId, ev.actorEmail);
      switch (ev.kind) {
        case "TASK_CREATED":
        case "TASK_UPDATED":
          if (ev.task) {
            upsert(ev.task);
            if (!mine) setAnnounce(`${ev.actorEmail} ${ev.kind === "TASK_CREATED" ? "added" : "changed"} “${ev.task.title}”.`);
          }
          break;
        case "TASK_DELETED":
          if (ev.taskId) {
            const id = ev.taskId;
            known.current.delete(id);
            setTasks((prev) => {
              if (!prev.has(id)) return prev;
              const next = new Map(prev);
              next.delete(id);
              return next;
            });
            if (!mine) setAnnounce(`${ev.actorEmail} deleted a task.`);
          }
          break;
        case "MEMBER_ADDED":
          if (ev.member) {
            const m = ev.member;
            setBoard((b) => (b ? { ...b, members: [...b.members.filter((x) => x.user.id !== m.user.id), m] } : b));
          }
          break;
        case "MEMBER_REMOVED":
          if (ev.member) {
            const m = ev.member;
            setBoard((b) => (b ? { ...b, members: b.members.filter((x) => x.user.id !== m.user.id) } : b));
            if (m.user.id === me.id) setFatal((f) => f ?? "You were removed from this board.");
          }
          break;
      }
      setActivityTick((n) => n + 1);
    },
    [me.id, me.email, upsert],
  );
  const applyRef = useRef(applyEvent);
  applyRef.current = applyEvent;

  // Load the board (tasks and lastSeq together), then follow it live from lastSeq.
  useEffect(() => {
    let cancelled = false;
    let feed: LiveFeed | null = null;
    (async () => {
      try {
        type Data = { board: (Board & { tasks: TaskPage & { totalCount: number } }) | null };
        const d = await gql<Data>(BOARD, { id: boardId });
        if (cancelled) return;
        if (!d.board) {
          setFatal("This board does not exist, or you are not a member of it.");
          return;
        }
        const all = d.board.tasks.edges.map((e) => e.node);
        let page = d.board.tasks.pageInfo;
        while (page.hasNextPage) {
          const more = await gql<{ board: { tasks: TaskPage } | null }>(BOARD_TASKS_PAGE, { id: boardId, after: page.endCursor });
          if (cancelled || !more.board) return;
          all.push(...more.board.tasks.edges.map((e) => e.node));
          page = more.board.tasks.pageInfo;
        }
        const { tasks: _t, ...rest } = d.board;
        setBoard(rest);
        known.current = new Map(all.map((t) => [t.id, t]));
        setTasks(new Map(all.map((t) => [t.id, t])));
        document.title = `${rest.name} — Taskboard`;
        // Later pages may already hold changes after lastSeq: the replay
        // re-applies them, and versions keep the newest.
        feed = startBoardFeed(boardId, d.board.lastSeq, {
          onEvent: (ev) => applyRef.current(ev),
          onState: (s) => {
            liveRef.current = s;
            setLive(s);
          },
          onError: (err: ApiError) => {
            if (err.code === "NOT_FOUND") setFatal((f) => f ?? "You no longer have access to this board.");
            else setNotice(describeError(err, "follow live changes"));
          },
          onGap: () => setReloadKey((k) => k + 1),
        });
        feedRef.current = feed;
      } catch (e) {
        if (!cancelled) setFatal(describeError(e, "open this board"));
      }
    })();
    return () => {
      cancelled = true;
      feed?.stop();
      if (feedRef.current === feed) feedRef.current = null;
    };
  }, [boardId, reloadKey]);

  // Test and debugging hook.
  useEffect(() => {
    window.__taskboard = {
      dropConnection: () => feedRef.current?.drop(),
      lastSeq: () => feedRef.current?.lastSeq ?? -1,
      liveState: () => liveRef.current,
    };
    return () => {
      delete window.__taskboard;
    };
  }, []);

  useLayoutEffect(() => {
    const id = focusAfterRender.current;
    if (!id) return;
    focusAfterRender.current = null;
    const el = document.querySelector<HTMLElement>(`[data-task-id="${CSS.escape(id)}"] .card-title`);
    el?.focus();
  });

  function setPendingStatus(id: string, status: TaskStatus | null) {
    setPending((prev) => {
      const next = new Map(prev);
      if (status) next.set(id, status);
      else next.delete(id);
      return next;
    });
  }

  function moveTask(task: Task, status: TaskStatus, keepFocus: boolean) {
    if (keepFocus) focusAfterRender.current = task.id;
    setPendingStatus(task.id, status); // shown at once
    const q = moveQueue.current.get(task.id) ?? { tail: Promise.resolve(), gen: 0 };
    const gen = q.gen;
    const tail = q.tail.then(() => (q.gen === gen ? sendMove(task.id, task.title, status, q) : undefined));
    q.tail = tail;
    moveQueue.current.set(task.id, q);
    void tail.finally(() => {
      if (q.tail === tail) {
        moveQueue.current.delete(task.id);
        setPendingStatus(task.id, null);
      }
    });
  }

  async function sendMove(id: string, title: string, status: TaskStatus, q: { gen: number }): Promise<void> {
    const cur = known.current.get(id);
    if (!cur) return;
    if (cur.status === status) {
      setAnnounce(`Moved “${title}” to ${STATUS_LABEL[status]}.`);
      return;
    }
    try {
      const d = await gql<{ updateTask: Task }>(UPDATE_TASK, { id, input: { status, expectedVersion: cur.version } });
      upsert(d.updateTask);
      setAnnounce(`Moved “${title}” to ${STATUS_LABEL[status]}.`);
    } catch (e) {
      q.gen += 1; // drop the moves queued behind this one
      const err = toApiError(e);
      if (err.code === "CONFLICT") {
        const latest = await gql<{ task: Task | null }>(TASK, { id }).catch(() => ({ task: null }));
        if (latest.task) {
          upsert(latest.task);
          const who = lastActor.current.get(id);
          setNotice(
            `“${title}” was changed${who ? ` by ${who}` : " by someone else"} before your move, so it was not moved. ` +
              `It now shows the latest version (in ${STATUS_LABEL[latest.task.status]}). Move it again if you still want to.`,
          );
        } else {
          removeLocal(id);
          setNotice(`“${title}” was deleted by someone else.`);
        }
      } else {
        if (err.code === "NOT_FOUND") removeLocal(id);
        setNotice(describeError(err, `move “${title}”`));
      }
    }
  }

  function removeLocal(id: string) {
    known.current.delete(id);
    setTasks((prev) => {
      const next = new Map(prev);
      next.delete(id);
      return next;
    });
  }

  const visible = useMemo(() => {
    const q = filters.search.trim().toLowerCase();
    return [...tasks.values()]
      .map((t) => {
        const p = pending.get(t.id);
        return p && p !== t.status ? { ...t, status: p } : t;
      })
      .filter((t) => {
        if (filters.assignee === "me" && t.assignee?.id !== me.id) return false;
        if (filters.assignee === "none" && t.assignee) return false;
        if (filters.assignee && !["me", "none"].includes(filters.assignee) && t.assignee?.id !== filters.assignee) return false;
        if (filters.status && t.status !== filters.status) return false;
        if (filters.dueSoon && !dueState(t)) return false;
        if (q && !t.title.toLowerCase().includes(q) && !t.description.toLowerCase().includes(q)) return false;
        return true;
      })
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }, [tasks, pending, filters, me.id]);

  if (fatal) {
    return (
      <div class="page">
        <ErrorBanner message={fatal} />
        <p>
          <a href="#/">Back to your boards</a>
        </p>
      </div>
    );
  }
  if (!board) {
    return (
      <div class="page">
        <p role="status">Loading board…</p>
      </div>
    );
  }

  const filtered = filters !== NO_FILTERS && JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  const columns = filters.status ? [filters.status] : STATUSES;
  const editing = editor?.mode === "edit" ? tasks.get(editor.taskId) : undefined;

  return (
    <div class={panel ? "board-layout with-panel" : "board-layout"}>
      <div class="board-main">
        <div class="board-head">
          <h1>{board.name}</h1>
          <p class={`conn conn-${live}`} role="status" id="live-status" data-state={live}>
            <span class="dot" aria-hidden="true" />
            {LIVE_LABEL[live]}
          </p>
          <div class="board-actions">
            <button type="button" aria-expanded={panel?.kind === "members"} onClick={() => setPanel(panel?.kind === "members" ? null : { kind: "members" })}>
              Members ({board.members.length})
            </button>
            <button type="button" aria-expanded={panel?.kind === "activity"} onClick={() => setPanel(panel?.kind === "activity" ? null : { kind: "activity" })}>
              Activity
            </button>
            <button type="button" class="primary" onClick={() => setEditor({ mode: "new", status: "TODO" })}>
              New task
            </button>
          </div>
        </div>
        <ErrorBanner message={notice} onDismiss={() => setNotice(null)} />
        {live === "offline" && (
          <p class="banner warn">
            Live updates stopped.{" "}
            <button type="button" onClick={() => setReloadKey((k) => k + 1)}>
              Reconnect
            </button>
          </p>
        )}

        <form class="filters" role="search" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
          <label>
            Search
            <input type="search" value={filters.search} placeholder="Title or description"
              onInput={(e) => setFilters({ ...filters, search: e.currentTarget.value })} />
          </label>
          <label>
            Assignee
            <select value={filters.assignee} onChange={(e) => setFilters({ ...filters, assignee: e.currentTarget.value })}>
              <option value="">Anyone</option>
              <option value="me">Assigned to me</option>
              <option value="none">Unassigned</option>
              {board.members.map((m) => (
                <option key={m.user.id} value={m.user.id}>
                  {m.user.name} ({m.user.email})
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.currentTarget.value as Filters["status"] })}>
              <option value="">All statuses</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={filters.dueSoon} onChange={(e) => setFilters({ ...filters, dueSoon: e.currentTarget.checked })} />
            Due soon or overdue
          </label>
          {filtered && (
            <button type="button" onClick={() => setFilters(NO_FILTERS)}>
              Clear filters
            </button>
          )}
          <p class="count" aria-live="polite">
            {filtered ? `Showing ${visible.length} of ${tasks.size} tasks` : `${tasks.size} tasks`}
          </p>
        </form>

        <p id="kbd-hint" class="sr-only">
          Press the left or right arrow key to move this task to the previous or next column; Enter opens it.
        </p>
        <div class="columns" style={{ "--cols": String(columns.length) }}>
          {columns.map((status) => {
            const cards = visible.filter((t) => t.status === status);
            return (
              <section
                key={status}
                class={`column${dropTarget === status ? " drop" : ""}`}
                data-status={status}
                aria-labelledby={`col-${status}`}
                onDragOver={(e) => {
                  if (!dragging) return;
                  e.preventDefault();
                  if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
                  if (dropTarget !== status) setDropTarget(status);
                }}
                onDragLeave={(e) => {
                  if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setDropTarget(null);
                }}
                onDrop={(e) => {
                  e.preventDefault();
                  const id = e.dataTransfer?.getData("text/plain") || dragging;
                  setDropTarget(null);
                  setDragging(null);
                  const t = id ? visible.find((x) => x.id === id) ?? tasks.get(id) : undefined;
                  if (t && t.status !== status) moveTask(t, status, false);
                }}
              >
                <div class="column-head">
                  <h2 id={`col-${status}`}>{STATUS_LABEL[status]}</h2>
                  <span class="badge" aria-label={`${cards.length} tasks`}>
                    {cards.length}
                  </span>
                  <button type="button" class="icon" aria-label={`Add task to ${STATUS_LABEL[status]}`}
                    onClick={() => setEditor({ mode: "new", status })}>
                    +
                  </button>
                </div>
                <ul class="cards" aria-labelledby={`col-${status}`}>
                  {cards.map((t) => (
                    <Card key={t.id} task={t} dragging={dragging === t.id}
                      onOpen={() => setEditor({ mode: "edit", taskId: t.id })}
                      onHistory={() => setPanel({ kind: "activity", taskId: t.id })}
                      onMove={(s, kbd) => moveTask(t, s, kbd)}
                      onDragStart={() => setDragging(t.id)}
                      onDragEnd={() => {
                        setDragging(null);
                        setDropTarget(null);
                      }} />
                  ))}
                </ul>
                {cards.length === 0 && <p class="empty">{filtered ? "No matching tasks" : "No tasks"}</p>}
              </section>
            );
          })}
        </div>
        <p class="sr-only" role="status" aria-live="polite" id="announcer">
          {announce}
        </p>
      </div>

      {panel && (
        <aside class="side-panel" aria-label={panel.kind === "members" ? "Members" : "Activity"}>
          {panel.kind === "members" ? (
            <MembersPanel board={board} me={me} onClose={() => setPanel(null)}
              onMemberAdded={(m) => setBoard((b) => (b ? { ...b, members: [...b.members.filter((x) => x.user.id !== m.user.id), m] } : b))}
              onMemberRemoved={(id) => setBoard((b) => (b ? { ...b, members: b.members.filter((x) => x.user.id !== id) } : b))} />
          ) : (
            <ActivityPanel boardId={board.id} task={panel.taskId ? tasks.get(panel.taskId) ?? { id: panel.taskId, title: "Deleted task" } : undefined}
              tick={activityTick} onBoard={() => setPanel({ kind: "activity" })} onClose={() => setPanel(null)} />
          )}
        </aside>
      )}

      {editor && (
        <TaskEditor
          key={editor.mode === "edit" ? editor.taskId : "new"}
          boardId={board.id}
          members={board.members}
          initialStatus={editor.mode === "new" ? editor.status : undefined}
          task={editor.mode === "edit" ? editing ?? null : undefined}
          lastActor={(id) => lastActor.current.get(id)}
          onClose={() => setEditor(null)}
          onSaved={(t) => {
            upsert(t);
            setAnnounce(`Saved “${t.title}”.`);
          }}
          onDeleted={(id) => {
            removeLocal(id);
            setAnnounce("Task deleted.");
          }}
          onHistory={(id) => {
            setEditor(null);
            setPanel({ kind: "activity", taskId: id });
          }}
        />
      )}
      <p class="back">
        <a href="#/" onClick={(e) => { e.preventDefault(); navigate("#/"); }}>
          ← All boards
        </a>
      </p>
    </div>
  );
}

function Card(props: {
  task: Task;
  dragging: boolean;
  onOpen: () => void;
  onHistory: () => void;
  onMove: (s: TaskStatus, keyboard: boolean) => void;
  onDragStart: () => void;
  onDragEnd: () => void;
}) {
  const t = props.task;
  const due = dueState(t);
  const idx = STATUSES.indexOf(t.status);
  const titleId = `task-${t.id}-title`;
  return (
    <li
      class={`card${due ? ` ${due}` : ""}${props.dragging ? " dragging" : ""}`}
      data-task-id={t.id}
      data-status={t.status}
      draggable
      aria-labelledby={titleId}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", t.id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        props.onDragStart();
      }}
      onDragEnd={props.onDragEnd}
    >
      <h3 class="card-h" id={titleId}>
        <button
          type="button"
          class="card-title"
          aria-describedby="kbd-hint"
          onClick={props.onOpen}
          onKeyDown={(e) => {
            if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && !e.altKey && !e.ctrlKey && !e.metaKey) {
              const next = STATUSES[idx + (e.key === "ArrowRight" ? 1 : -1)];
              e.preventDefault();
              if (next) props.onMove(next, true);
            }
          }}
        >
          {t.title}
        </button>
      </h3>
      <dl class="meta">
        <div>
          <dt>Assignee</dt>
          <dd class="assignee">{t.assignee ? t.assignee.name : <span class="muted">Unassigned</span>}</dd>
        </div>
        {t.deadline && (
          <div>
            <dt>Deadline</dt>
            <dd class="deadline">
              <time dateTime={t.deadline}>{formatDate(t.deadline)}</time>
              {due === "overdue" && <span class="tag overdue">Overdue</span>}
              {due === "soon" && <span class="tag soon">Due soon</span>}
            </dd>
          </div>
        )}
      </dl>
      <div class="card-actions">
        <label class="move">
          <span class="sr-only">Move “{t.title}” to</span>
          <select value={t.status} onChange={(e) => props.onMove(e.currentTarget.value as TaskStatus, true)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === t.status ? `${STATUS_LABEL[s]} (current)` : `Move to ${STATUS_LABEL[s]}`}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="link" onClick={props.onHistory} aria-label={`History of “${t.title}”`}>
          History
        </button>
      </div>
    </li>
  );
}
