// The board menu: rename (any member), labels, and delete (owners; asks first
// and says what goes with the board).

import { useRef, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { DELETE_BOARD, RENAME_BOARD } from "./queries";
import { LimitNote, overBy, useLimits } from "./limits";
import type { Board } from "./types";

export const NAME_NEEDED = "A board needs a name: spaces alone do not make one.";
import { ErrorBanner, Modal } from "./ui";

type Dialog = "rename" | "delete" | null;

export function BoardMenu(props: {
  board: Board;
  taskCount: number;
  labelsOpen: boolean;
  onLabels: () => void;
  onRenamed: (name: string) => void;
  onDeleted: () => void;
}) {
  const { board } = props;
  const [open, setOpen] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const owner = board.viewerRole === "OWNER";
  const button = useRef<HTMLButtonElement>(null);
  const back = () => button.current;

  function choose(d: Dialog | "labels") {
    setOpen(false);
    if (d === "labels") props.onLabels();
    else setDialog(d);
  }

  return (
    <div class="menu" onFocusOut={(e) => {
      // Closes when the focus leaves it (a click elsewhere, Tab past the end).
      if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOpen(false);
    }}>
      <button type="button" ref={button} aria-haspopup="true" aria-expanded={open} aria-controls="board-menu" onClick={() => setOpen(!open)}
        onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
        Board ▾
      </button>
      {open && (
        <ul id="board-menu" class="menu-list" aria-label="Board">
          <li>
            <button type="button" onClick={() => choose("rename")}>
              Rename board…
            </button>
          </li>
          <li>
            <button type="button" aria-pressed={props.labelsOpen} onClick={() => choose("labels")}>
              Labels
            </button>
          </li>
          {owner && (
            <li>
              <button type="button" class="danger" onClick={() => choose("delete")}>
                Delete board…
              </button>
            </li>
          )}
        </ul>
      )}
      {dialog === "rename" && <RenameDialog board={board} back={back} onClose={() => setDialog(null)} onRenamed={props.onRenamed} />}
      {dialog === "delete" && (
        <DeleteDialog board={board} back={back} taskCount={props.taskCount} onClose={() => setDialog(null)} onDeleted={props.onDeleted} />
      )}
    </div>
  );
}

function RenameDialog(props: { board: Board; back: () => HTMLElement | null; onClose: () => void; onRenamed: (name: string) => void }) {
  const [name, setName] = useState(props.board.name);
  const limits = useLimits();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(e: Event) {
    e.preventDefault();
    if (!name.trim()) {
      setError(NAME_NEEDED);
      return;
    }
    if (overBy(name.trim(), limits?.boardNameMaxLength)) return;
    setBusy(true);
    setError(null);
    try {
      const d = await gql<{ renameBoard: { name: string } }>(RENAME_BOARD, { id: props.board.id, name: name.trim() });
      props.onRenamed(d.renameBoard.name);
      props.onClose();
    } catch (err) {
      setError(describeError(err, "rename the board"));
      setBusy(false);
    }
  }

  return (
    <Modal title="Rename board" onClose={props.onClose} returnFocus={props.back}>
      <form class="stack" onSubmit={save}>
        <label>
          Board name
          <input type="text" required value={name} aria-describedby="rename-limit" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <LimitNote id="rename-limit" text={name.trim()} max={limits?.boardNameMaxLength} />
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy || overBy(name.trim(), limits?.boardNameMaxLength) > 0}>
            Rename
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

function DeleteDialog(props: { board: Board; back: () => HTMLElement | null; taskCount: number; onClose: () => void; onDeleted: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const others = props.board.members.length - 1;

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await gql(DELETE_BOARD, { id: props.board.id });
      props.onDeleted();
    } catch (err) {
      setError(describeError(err, "delete the board"));
      setBusy(false);
    }
  }

  return (
    <Modal title="Delete board" onClose={props.onClose} returnFocus={props.back}>
      <div class="stack">
        <p>
          Delete “{props.board.name}”? Its {props.taskCount} {props.taskCount === 1 ? "task" : "tasks"}, their comments and the board's
          labels are deleted{others > 0 ? `, and its ${others} other ${others === 1 ? "member loses" : "members lose"} access` : ""}.
          The activity log keeps the board's history. This cannot be undone.
        </p>
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <div class="row">
          <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
            Delete this board
          </button>
          <button type="button" onClick={props.onClose}>
            Keep it
          </button>
        </div>
      </div>
    </Modal>
  );
}
