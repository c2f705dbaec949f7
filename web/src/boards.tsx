// The list of the viewer's boards, and a form to create one.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { navigate, takeFlash } from "./app";
import { ViewerInvitations } from "./invitations";
import { BOARDS, CREATE_BOARD } from "./queries";
import type { BoardSummary, User } from "./types";
import { ErrorBanner } from "./ui";

export function BoardsPage(props: { me: User }) {
  const [boards, setBoards] = useState<BoardSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(takeFlash);

  async function load() {
    try {
      const d = await gql<{ boards: BoardSummary[] }>(BOARDS);
      setBoards(d.boards);
    } catch (e) {
      setError(describeError(e, "load your boards"));
    }
  }

  useEffect(() => {
    document.title = "Boards — Taskboard";
    void load();
  }, []);

  async function create(e: Event) {
    e.preventDefault();
    if (!name.trim()) return;
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
            <li key={b.id}>
              <a href={`#/board/${encodeURIComponent(b.id)}`}>{b.name}</a>
              <span class="role">{b.viewerRole === "OWNER" ? "Owner" : "Member"}</span>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={create} aria-label="Create a board">
        <label>
          New board name
          <input type="text" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Create board
        </button>
      </form>
    </div>
  );
}
