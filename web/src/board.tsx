// One board: loading it, following it live (every event kind applied in place,
// never a refetch), columns in the board's manual order with drag and drop
// and keyboard moves, and the side panels.

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { describeError, gql, type ApiError } from "./api";
import { navigate } from "./app";
import { applyBoardEvent } from "./boardevents";
import { BoardMenu } from "./boardmenu";
import { BoardSide, type PanelState } from "./boardside";
import { Column, type CardActions } from "./column";
import { CommentBus } from "./comments";
import { dropIndex, isNoop, neighboursAt, orderColumn, type Placement } from "./dnd";
import { TaskEditor } from "./editor";
import { FilterBar, NO_FILTERS, isFiltered, matches, type Filters } from "./filters";
import { startBoardFeed, type LiveFeed, type LiveState } from "./live";
import { useLit } from "./lit";
import { useMoves } from "./moves";
import { BOARD, BOARD_TASKS_PAGE } from "./queries";
import { useTaskStore } from "./taskstore";
import { startTouchDrag } from "./touchdrag";
import { STATUSES, STATUS_LABEL, type Board, type BoardEvent, type Task, type TaskStatus, type User } from "./types";
import { ErrorBanner } from "./ui";

type EditorState = { mode: "edit"; taskId: string } | { mode: "new"; status: TaskStatus };

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


/** `taskId` (a mail's "Open the task" link) opens with that task's panel. */
export function BoardPage(props: { boardId: string; me: User; taskId?: string }) {
  const { boardId, me } = props;
  const [board, setBoard] = useState<Board | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const [live, setLive] = useState<LiveState>("connecting");
  const [reloadKey, setReloadKey] = useState(0);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [editor, setEditor] = useState<EditorState | null>(null);
  const [panel, setPanelState] = useState<PanelState>(props.taskId ? { kind: "task", taskId: props.taskId } : null);
  const panelOpener = useRef<HTMLElement | null>(null);
  const [changed, light] = useLit(); // cards someone else just changed
  const [activityTick, setActivityTick] = useState(0);
  const [dragging, setDragging] = useState<string | null>(null);
  const [dropAt, setDropAt] = useState<{ status: TaskStatus; index: number } | null>(null);
  const feedRef = useRef<LiveFeed | null>(null);
  const focusAfterRender = useRef<string | null>(null);
  // A touch drag ends renders after it began: it drops with the newest columns.
  const latestDrop = useRef<(status: TaskStatus, index: number, id: string | null) => void>(() => undefined);
  const lastActor = useRef(new Map<string, string>());
  const liveRef = useRef<LiveState>("connecting");
  const [bus] = useState(() => new CommentBus());
  const nameRef = useRef(""); // for the notice after BOARD_DELETED
  nameRef.current = board?.name ?? nameRef.current;

  const { tasks, known, upsert, patchTasks, removeLocal, reset } = useTaskStore();

  const { pending, move } = useMoves({
    known,
    upsert,
    removeLocal,
    announce: setAnnounce,
    notice: setNotice,
    lastActor: (id) => lastActor.current.get(id),
  });

  /** A person by name (notices never show an address when the board knows the name). */
  const nameOf = (email: string): string =>
    email === me.email ? me.name : board?.members.find((m) => m.user.email === email)?.user.name ?? "Someone";

  /** Open a panel (or close it: null); focus goes back to what opened it when it closes. */
  function setPanel(p: PanelState) {
    if (p && !panel) panelOpener.current = document.activeElement as HTMLElement | null;
    setPanelState(p);
    if (!p) {
      const back = panelOpener.current;
      window.setTimeout(() => back?.isConnected && back.focus());
    }
  }

  // Every kind is applied in place: the board is never refetched for an event.
  const applyRef = useRef<(ev: BoardEvent) => void>(() => undefined);
  applyRef.current = (ev) => {
    if (ev.taskId) lastActor.current.set(ev.taskId, nameOf(ev.actorEmail));
    if (ev.taskId && ev.task && ev.actorEmail !== me.email) light(ev.taskId, nameOf(ev.actorEmail));
    applyBoardEvent(ev, {
      me, known, upsert, removeLocal, patchTasks, dropLabel, bus,
      setBoard: (fn) => setBoard((b) => b && fn(b)),
      announce: setAnnounce,
      fatal: (m) => setFatal((f) => f ?? m),
      boardName: nameRef.current,
      nameOf,
    });
    setActivityTick((n) => n + 1);
  };

  function dropLabel(id: string) {
    setBoard((b) => b && { ...b, labels: b.labels.filter((l) => l.id !== id) });
    patchTasks((t) => (t.labels.some((l) => l.id === id) ? { ...t, labels: t.labels.filter((l) => l.id !== id) } : t));
  }

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
        reset(all);
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

  // Each column in its order, a card with a move in flight where it was put.
  const columnsOf = useMemo(() => {
    const keep = matches(filters, me.id);
    const out = new Map<TaskStatus, Task[]>(STATUSES.map((s) => [s, []]));
    const moving = new Map<TaskStatus, { task: Task; place: Placement }[]>(STATUSES.map((s) => [s, []]));
    for (const t of tasks.values()) {
      const place = pending.get(t.id);
      const shown = place ? { ...t, status: place.status } : t;
      if (!keep(shown)) continue;
      if (place) moving.get(place.status)?.push({ task: shown, place });
      else out.get(t.status)?.push(t);
    }
    for (const s of STATUSES) out.set(s, orderColumn(out.get(s) ?? [], moving.get(s) ?? []));
    return out;
  }, [tasks, pending, filters, me.id]);

  function moveTo(task: Task, place: Placement, keepFocus: boolean) {
    if (isNoop(columnsOf.get(task.status) ?? [], task, place)) return;
    if (keepFocus) focusAfterRender.current = task.id;
    move(task, place);
  }

  /** Keyboard: one place up or down in the column, announced once the server has it. */
  function shift(task: Task, delta: -1 | 1) {
    const column = columnsOf.get(task.status) ?? [];
    const i = column.findIndex((t) => t.id === task.id);
    const to = i + delta;
    if (i < 0 || to < 0 || to >= column.length) {
      setAnnounce(`“${task.title}” is already ${delta < 0 ? "first" : "last"} in ${STATUS_LABEL[task.status]}.`);
      return;
    }
    const others = column.filter((t) => t.id !== task.id);
    moveTo(task, { status: task.status, ...neighboursAt(others, to) }, true);
  }

  function onDrop(e: DragEvent, status: TaskStatus) {
    e.preventDefault();
    const id = e.dataTransfer?.getData("text/plain") || dragging;
    const list = (e.currentTarget as HTMLElement).querySelector("ul.cards");
    dropOn(status, dropIndex(list, e.clientY, id), id);
  }

  function dropOn(status: TaskStatus, index: number, id: string | null) {
    setDropAt(null);
    setDragging(null);
    const t = id ? tasks.get(id) : undefined;
    if (!t) return;
    const shown = pending.has(t.id) ? { ...t, status: pending.get(t.id)!.status } : t;
    const others = (columnsOf.get(status) ?? []).filter((x) => x.id !== t.id);
    moveTo(shown, { status, ...neighboursAt(others, index) }, false);
  }

  latestDrop.current = dropOn;

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

  const filtered = isFiltered(filters);
  const columns = filters.status ? [filters.status] : STATUSES;
  const shownCount = STATUSES.reduce((n, s) => n + (columnsOf.get(s)?.length ?? 0), 0);
  const editing = editor?.mode === "edit" ? tasks.get(editor.taskId) : undefined;
  const togglePanel = (p: NonNullable<PanelState>) => setPanel(panel?.kind === p.kind ? null : p);
  const cardActions: CardActions = {
    open: (t) => setEditor({ mode: "edit", taskId: t.id }),
    comments: (t) => setPanel({ kind: "task", taskId: t.id }),
    history: (t) => setPanel({ kind: "activity", taskId: t.id }),
    move: (t, status, kbd) => moveTo(t, { status, afterId: null, beforeId: null }, kbd),
    shift,
    dragStart: (t) => setDragging(t.id),
    dragEnd: () => {
      setDragging(null);
      setDropAt(null);
    },
    handleDown: (t, e) =>
      startTouchDrag(e, t.id, {
        over: (status, index) => {
          setDragging(t.id);
          setDropAt(status ? { status, index } : null);
        },
        drop: (status, index) => latestDrop.current(status, index, t.id),
        end: () => {
          setDragging(null);
          setDropAt(null);
        },
      }),
  };

  return (
    <div class={panel ? "board-layout with-panel" : "board-layout"}>
      <div class="board-main">
        <nav class="crumbs" aria-label="Boards">
          <a href="#/">← All boards</a>
        </nav>
        <div class="board-head">
          <h1>{board.name}</h1>
          <p class={`conn conn-${live}`} role="status" id="live-status" data-state={live}>
            <span class="dot" aria-hidden="true" />
            {LIVE_LABEL[live]}
          </p>
          <div class="board-actions">
            <button type="button" aria-expanded={panel?.kind === "members"} onClick={() => togglePanel({ kind: "members" })}>
              Members ({board.members.length})
            </button>
            <button type="button" aria-expanded={panel?.kind === "activity"} onClick={() => togglePanel({ kind: "activity" })}>
              Activity
            </button>
            <BoardMenu board={board} taskCount={tasks.size} labelsOpen={panel?.kind === "labels"}
              onLabels={() => togglePanel({ kind: "labels" })}
              onRenamed={(name) => {
                setBoard((b) => b && { ...b, name });
                document.title = `${name} — Taskboard`;
              }}
              onDeleted={() => navigate("#/", `The board “${board.name}” was deleted.`)} />
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

        <FilterBar board={board} filters={filters} onChange={setFilters} shown={shownCount} total={tasks.size} />

        <p id="kbd-hint" class="hint kbd-hint">
          Keyboard: on a card's title, ← → move it to the previous or next column, ↑ ↓ within its column; Enter opens it.
        </p>
        <div class="columns" style={{ "--cols": String(columns.length) }}>
          {columns.map((status) => (
            <Column key={status} status={status} cards={columnsOf.get(status) ?? []} labels={board.labels} filtered={filtered}
              dragging={dragging} changed={changed} dropAt={dropAt?.status === status ? dropAt.index : null}
              onDragOverAt={(index) => setDropAt({ status, index })}
              onDragOut={() => setDropAt(null)}
              onDrop={(e) => onDrop(e, status)}
              onAdd={() => setEditor({ mode: "new", status })}
              actions={cardActions} />
          ))}
        </div>
        <p class="sr-only" role="status" aria-live="polite" id="announcer">
          {announce}
        </p>
      </div>

      {panel && (
        <BoardSide panel={panel} board={board} tasks={tasks} me={me} bus={bus} tick={activityTick}
          setBoard={(fn) => setBoard((b) => b && fn(b))} dropLabel={dropLabel} open={setPanel}
          edit={(taskId) => setEditor({ mode: "edit", taskId })} onClose={() => setPanel(null)} />
      )}

      {editor && (
        <TaskEditor
          key={editor.mode === "edit" ? editor.taskId : "new"}
          boardId={board.id}
          members={board.members}
          labels={board.labels}
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
          onComments={(id) => {
            setEditor(null);
            setPanel({ kind: "task", taskId: id });
          }}
        />
      )}
    </div>
  );
}
