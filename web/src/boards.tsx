// The list of the viewer's boards (live: a board you are added to appears, lit
// up for a while, without a reload), and a form to create one.

import { useEffect, useRef, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { navigate, takeFlash } from "./app";
import { NAME_NEEDED } from "./boardmenu";
import { ViewerInvitations } from "./invitations";
import { LimitNote, overBy, useLimits } from "./limits";
import { startViewerFeed, type ViewerEvent } from "./viewerfeed";
import { BOARDS, CREATE_BOARD } from "./queries";
import type { BoardSummary, User } from "./types";
import { ErrorBanner } from "./ui";

export function BoardsPage(props: { me: User }) {
  const [boards, setBoards] = useState<BoardSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(takeFlash);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const known = useRef<Set<string> | null>(null);
  const limits = useLimits();

  async function load() {
    try {
      const d = await gql<{ boards: BoardSummary[] }>(BOARDS);
      // Boards that arrived while the list was open light up.
      const before = known.current;
      if (before) {
        const added = d.boards.filter((b) => !before.has(b.id)).map((b) => b.id);
        if (added.length) setFresh((f) => new Set([...f, ...added]));
      }
      known.current = new Set(d.boards.map((b) => b.id));
      setBoards(d.boards);
    } catch (e) {
      setError(describeError(e, "load your boards"));
    }
  }

  useEffect(() => {
    document.title = "Boards — Taskboard";
    void load();
    return startViewerFeed((ev) => {
      void load();
      // What the viewer did here (accepting an invitation) has its own notice.
      const said = ev.byName === props.me.name ? null : viewerNotice(ev);
      if (said) setNotice(said);
    });
  }, []);

  async function create(e: Event) {
    e.preventDefault();
    if (!name.trim()) {
      setError(NAME_NEEDED);
      return;
    }
    if (overBy(name.trim(), limits?.boardNameMaxLength)) return;
    setBusy(true);
    setError(null);
    try {
      const d = await gql<{ createBoard: BoardSummary }>(CREATE_BOARD, { name: name.trim() });
      setName("");
      navigate(`#/board/${encodeURIComponent(d.createBoard.id)}`);
    } catch (err) {
      setError(describeError(err, "create the board"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="page boards-page">
      <h1>Your boards</h1>
      {notice && (
        <p class="banner info" role="status">
          {notice}
        </p>
      )}
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <ViewerInvitations me={props.me} onJoined={(name) => {
        setNotice(`You joined the board “${name}”.`);
        void load();
      }} />
      {boards === null ? (
        <p role="status">Loading boards…</p>
      ) : boards.length === 0 ? (
        <p>No boards yet. Create one below, or ask a board owner to add you.</p>
      ) : (
        <ul class="board-list">
          {boards.map((b) => (
            <li key={b.id} class={fresh.has(b.id) ? "new" : undefined}>
              <a href={`#/board/${encodeURIComponent(b.id)}`}>{b.name}</a>
              <span class="role">
                {fresh.has(b.id) && <span class="tag new">New</span>} {b.viewerRole === "OWNER" ? "Owner" : "Member"}
              </span>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={create} aria-label="Create a board">
        <label>
          New board name
          <input type="text" required value={name} aria-describedby="board-name-limit" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <LimitNote id="board-name-limit" text={name.trim()} max={limits?.boardNameMaxLength} />
        <button type="submit" class="primary" disabled={busy || overBy(name.trim(), limits?.boardNameMaxLength) > 0}>
          Create board
        </button>
      </form>
    </div>
  );
}

/** What a change of the list says, naming the person by name. */
function viewerNotice(ev: ViewerEvent): string | null {
  const by = ev.byName ?? "Someone";
  const board = ev.boardName ? `“${ev.boardName}”` : "a board";
  switch (ev.kind) {
    case "BOARD_ADDED":
      return `${by} added you to ${board}.`;
    case "BOARD_REMOVED":
      return `${by} removed you from ${board}.`;
    case "BOARD_DELETED":
      return `${by} deleted ${board}.`;
    case "INVITATION_RECEIVED":
      return `${by} invited you to ${board}.`;
    default:
      return null;
  }
}
