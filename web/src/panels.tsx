// Side panels: their heading, and members (with roles, invitations and leaving;
// removing someone asks first and says what happens to their tasks).

import { useEffect, useRef, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { BoardInvitations, LeaveBoard, MemberRole } from "./invitations";
import { ADD_MEMBER, REMOVE_MEMBER } from "./queries";
import type { Board, BoardRole, Member, Task, User } from "./types";
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
  tasks: Map<string, Task>;
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
  const [asking, setAsking] = useState<Member | null>(null);

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
    setAsking(null);
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
              <button type="button" class="link danger" onClick={() => setAsking(m)} aria-label={`Remove ${m.user.name} (${m.user.email})`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {asking && <RemoveQuestion member={asking} board={props.board} tasks={props.tasks}
        onRemove={() => void remove(asking)} onKeep={() => setAsking(null)} />}
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

function RemoveQuestion(props: { member: Member; board: Board; tasks: Map<string, Task>; onRemove: () => void; onKeep: () => void }) {
  const name = props.member.user.name;
  let n = 0;
  for (const t of props.tasks.values()) if (t.assignee?.id === props.member.user.id) n += 1;
  return (
    <Modal title={`Remove ${name} from “${props.board.name}”?`} onClose={props.onKeep} alert
      returnFocus={() => document.querySelector<HTMLElement>(".side-panel .panel-head h2")}>
      <div class="stack">
        <p>
          {n > 0
            ? `${name}'s ${n} ${n === 1 ? "task" : "tasks"} on this board will be unassigned, `
            : `${name} has no tasks assigned on this board, `}
          and {name} will no longer see the board. You can add them again later.
        </p>
        <div class="row">
          <button type="button" class="danger" onClick={props.onRemove}>
            Remove {name}
          </button>
          <button type="button" onClick={props.onKeep}>
            Keep {name}
          </button>
        </div>
      </div>
    </Modal>
  );
}
