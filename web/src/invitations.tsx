// Invitations (an owner's list on the members panel, the invitee's on the boards
// list, the page the mailed link opens), the role menu and leaving a board.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import {
  ACCEPT_INVITATION,
  BOARD_INVITATIONS,
  CHANGE_ROLE,
  DECLINE_INVITATION,
  INVITE,
  LEAVE_BOARD,
  REVOKE_INVITATION,
  VIEWER_INVITATIONS,
} from "./accountqueries";
import { navigate } from "./app";
import { formatDateTime } from "./dates";
import type { Board, BoardRole, Member, User } from "./types";
import { ErrorBanner, Modal } from "./ui";
import { useEmailVerified } from "./verify";

export interface Invitation {
  id: string;
  boardId: string;
  boardName: string;
  email: string;
  role: BoardRole;
  createdAt: string;
  expiresAt: string;
  invitedBy: User;
}

const roleName = (r: BoardRole) => (r === "OWNER" ? "Owner" : "Member");

/** Owners: invite an address (with or without an account), see the open invitations, revoke one.
 * `members` (the members' ids) changing reloads the list: an accepted invitation is no longer open. */
export function BoardInvitations(props: { boardId: string; members: string }) {
  const [list, setList] = useState<Invitation[] | null>(null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<BoardRole>("MEMBER");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    gql<{ board: { invitations: Invitation[] } | null }>(BOARD_INVITATIONS, { id: props.boardId })
      .then((d) => setList(d.board?.invitations ?? []))
      .catch((e) => setError(describeError(e, "load the invitations")));
  }, [props.boardId, props.members]);

  async function invite(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const d = await gql<{ inviteToBoard: Invitation }>(INVITE, { boardId: props.boardId, email: email.trim(), role });
      const inv = d.inviteToBoard;
      setList((cur) => [...(cur ?? []).filter((x) => x.id !== inv.id), inv]);
      setStatus(`Invited ${inv.email}. The link we mailed works for 7 days.`);
      setEmail("");
    } catch (err) {
      setError(describeError(err, "send the invitation", {
        CONFLICT: `Could not invite ${email.trim()}: they are a member of this board already.`,
      }));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(inv: Invitation) {
    setError(null);
    try {
      await gql(REVOKE_INVITATION, { id: inv.id });
      setList((cur) => (cur ?? []).filter((x) => x.id !== inv.id));
      setStatus(`Revoked the invitation of ${inv.email}.`);
    } catch (err) {
      setError(describeError(err, "revoke the invitation"));
    }
  }

  return (
    <section class="invitations" aria-label="Invitations">
      <h3>Invitations</h3>
      {list === null ? (
        <p role="status">Loading invitations…</p>
      ) : list.length === 0 ? (
        <p class="hint">No open invitations.</p>
      ) : (
        <ul class="members">
          {list.map((inv) => (
            <li key={inv.id}>
              <span>
                <strong>{inv.email}</strong>
                <br />
                <span class="muted">
                  {roleName(inv.role)} · until <time dateTime={inv.expiresAt}>{formatDateTime(inv.expiresAt)}</time>
                </span>
              </span>
              <button type="button" class="link danger" onClick={() => void revoke(inv)} aria-label={`Revoke the invitation of ${inv.email}`}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="stack" onSubmit={invite} aria-label="Invite by email">
        <label>
          Invite by email
          <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} aria-describedby="invite-hint" />
        </label>
        <p id="invite-hint" class="hint">Anyone, with an account or not: we mail them a link to join.</p>
        <label>
          Invited role
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as BoardRole)}>
            <option value="MEMBER">Member</option>
            <option value="OWNER">Owner</option>
          </select>
        </label>
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <p role="status" class="ok">
          {status}
        </p>
        <button type="submit" disabled={busy}>
          Send invitation
        </button>
      </form>
    </section>
  );
}

/** A member's role: a menu for owners (a board always keeps one owner), plain text for others. */
export function MemberRole(props: { board: Board; member: Member; onChanged: (m: Member) => void; onError: (e: string) => void }) {
  const m = props.member;
  if (props.board.viewerRole !== "OWNER") return <span class="role">{roleName(m.role)}</span>;
  async function change(role: BoardRole, select: HTMLSelectElement) {
    try {
      const d = await gql<{ changeMemberRole: Member }>(CHANGE_ROLE, { boardId: props.board.id, userId: m.user.id, role });
      props.onChanged(d.changeMemberRole);
    } catch (err) {
      select.value = m.role;
      props.onError(describeError(err, `change the role of ${m.user.name}`, {
        CONFLICT: "Could not change the role: the board needs at least one owner. Make someone else owner first.",
      }));
    }
  }
  return (
    <select class="role" value={m.role} aria-label={`Role of ${m.user.name} (${m.user.email})`}
      onChange={(e) => void change(e.currentTarget.value as BoardRole, e.currentTarget)}>
      <option value="MEMBER">Member</option>
      <option value="OWNER">Owner</option>
    </select>
  );
}

/** Leave the board, after saying what that does. */
export function LeaveBoard(props: { board: Board; me: User }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function leave() {
    setBusy(true);
    setError(null);
    try {
      await gql(LEAVE_BOARD, { boardId: props.board.id });
      navigate("#/", `You left the board “${props.board.name}”.`);
    } catch (err) {
      setError(describeError(err, "leave the board", {
        CONFLICT: "You cannot leave: you are the board's only owner. Make another member owner first, or delete the board.",
      }));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" class="link danger" onClick={() => setOpen(true)}>
        Leave board…
      </button>
      {open && (
        <Modal title="Leave this board?" onClose={() => setOpen(false)}>
          <p>
            You lose access to “{props.board.name}” and its tasks. Tasks assigned to you there become unassigned. An owner
            can add or invite you again.
          </p>
          <ErrorBanner message={error} />
          <div class="row">
            <button type="button" class="danger" disabled={busy} onClick={() => void leave()}>
              Leave board
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Stay
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}

/** The invitations to the viewer's address (once it is confirmed), on the boards list. */
export function ViewerInvitations(props: { me: User; onJoined: (boardName: string) => void }) {
  const verified = useEmailVerified(props.me.id);
  const [list, setList] = useState<Invitation[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!verified) return;
    gql<{ viewer: { invitations: Invitation[] } }>(VIEWER_INVITATIONS)
      .then((d) => setList(d.viewer.invitations))
      .catch((e) => setError(describeError(e, "load your invitations")));
  }, [verified]);

  async function answer(inv: Invitation, accept: boolean) {
    setError(null);
    try {
      await gql(accept ? ACCEPT_INVITATION : DECLINE_INVITATION, { id: inv.id });
      setList((cur) => cur.filter((x) => x.id !== inv.id));
      if (accept) props.onJoined(inv.boardName);
    } catch (err) {
      setError(describeError(err, accept ? "accept the invitation" : "decline the invitation"));
    }
  }

  if (!list.length && !error) return null;
  return (
    <section class="invitations" aria-label="Invitations to you">
      <h2>Invitations</h2>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <ul class="board-list">
        {list.map((inv) => (
          <li key={inv.id}>
            <span>
              <strong>{inv.boardName}</strong>: {inv.invitedBy.name} invites you as {roleName(inv.role).toLowerCase()}
            </span>
            <span class="row">
              <button type="button" class="primary" onClick={() => void answer(inv, true)} aria-label={`Accept the invitation to ${inv.boardName}`}>
                Accept
              </button>
              <button type="button" onClick={() => void answer(inv, false)} aria-label={`Decline the invitation to ${inv.boardName}`}>
                Decline
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The page the invitation mail opens: signed in with the invited, confirmed address, it joins at once. */
export function AcceptInvitationPage(props: { me: User; id: string; token: string }) {
  const verified = useEmailVerified(props.me.id);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = "Invitation — Taskboard";
    if (!verified) return;
    (async () => {
      // The board's id and name, to open it after joining (the answer names neither).
      const mine = await gql<{ viewer: { invitations: Invitation[] } }>(VIEWER_INVITATIONS).catch(() => null);
      const inv = mine?.viewer.invitations.find((x) => x.id === props.id);
      await gql(ACCEPT_INVITATION, { id: props.id || null, token: props.token });
      if (inv) navigate(`#/board/${encodeURIComponent(inv.boardId)}`);
      else navigate("#/", "You joined the board.");
    })().catch((err) =>
      setError(describeError(err, "accept the invitation", {
        BAD_USER_INPUT: "This invitation link does not work any more: it was used, revoked or declined, or it expired (invitations last 7 days). Ask the board's owner for a new one.",
        FORBIDDEN: `Could not accept: this invitation is for another address than ${props.me.email}. Log out and sign in with the invited address.`,
        CONFLICT: "You are a member of this board already.",
      })),
    );
  }, [verified, props.token]);

  return (
    <div class="page narrow">
      <h1>Invitation</h1>
      {verified === false ? (
        <p>
          Confirm your address {props.me.email} first: open the link we mailed you, then this invitation link again (or
          accept it on your boards list).
        </p>
      ) : error ? (
        <ErrorBanner message={error} />
      ) : (
        <p role="status">Joining the board…</p>
      )}
      <p>
        <a href="#/">Go to your boards</a>
      </p>
    </div>
  );
}
