// Applying one live event to the open board, for every kind, without a
// refetch: a moved card moves, a comment reaches the open task, a renamed
// board renames, a deleted board is left.

import type { MutableRef } from "preact/hooks";
import { navigate } from "./app";
import type { CommentBus } from "./comments";
import type { Board, BoardEvent, Label, Member, Task, User } from "./types";

export const withLabel = (list: Label[], l: Label): Label[] =>
  list.some((x) => x.id === l.id) ? list.map((x) => (x.id === l.id ? l : x)) : [...list, l];
export const withMember = (list: Member[], m: Member): Member[] => [...list.filter((x) => x.user.id !== m.user.id), m];

export interface BoardState {
  me: User;
  known: MutableRef<Map<string, Task>>;
  upsert(t: Task): void;
  removeLocal(id: string): void;
  patchTasks(fn: (t: Task) => Task): void;
  dropLabel(id: string): void;
  setBoard(fn: (b: Board) => Board): void;
  bus: CommentBus;
  announce(text: string): void;
  fatal(text: string): void;
  boardName: string;
  /** A person by name (notices name people, not addresses). */
  nameOf(email: string): string;
}

export function applyBoardEvent(ev: BoardEvent, s: BoardState): void {
  const mine = ev.actorEmail.toLowerCase() === s.me.email.toLowerCase();
  const who = s.nameOf(ev.actorEmail);
  const say = (text: string) => !mine && s.announce(`${who} ${text}`);
  switch (ev.kind) {
    case "TASK_CREATED":
    case "TASK_UPDATED":
      if (ev.task) {
        s.upsert(ev.task);
        say(`${ev.kind === "TASK_CREATED" ? "added" : "changed"} “${ev.task.title}”.`);
      }
      break;
    case "TASK_DELETED":
      if (ev.taskId) {
        s.removeLocal(ev.taskId);
        say("deleted a task.");
      }
      break;
    case "MEMBER_ADDED":
    case "MEMBER_ROLE_CHANGED":
      if (ev.member) {
        const m = ev.member;
        s.setBoard((b) => ({ ...b, members: withMember(b.members, m), viewerRole: m.user.id === s.me.id ? m.role : b.viewerRole }));
      }
      break;
    case "MEMBER_REMOVED":
      if (ev.member) {
        const m = ev.member;
        s.setBoard((b) => ({ ...b, members: b.members.filter((x) => x.user.id !== m.user.id) }));
        if (m.user.id === s.me.id) s.fatal("You were removed from this board.");
      }
      break;
    case "COMMENT_ADDED":
    case "COMMENT_DELETED":
      if (ev.taskId) {
        const id = ev.taskId;
        const d = ev.kind === "COMMENT_ADDED" ? 1 : -1;
        s.patchTasks((t) => (t.id === id ? { ...t, commentCount: Math.max(0, t.commentCount + d) } : t));
        if (ev.kind === "COMMENT_ADDED") say(`commented on “${s.known.current.get(id)?.title ?? "a task"}”.`);
      }
      s.bus.publish(ev);
      break;
    case "COMMENT_UPDATED":
      s.bus.publish(ev);
      break;
    case "LABEL_CREATED":
    case "LABEL_UPDATED":
      if (ev.label) {
        const l = ev.label;
        s.setBoard((b) => ({ ...b, labels: withLabel(b.labels, l) }));
      }
      break;
    case "LABEL_DELETED":
      if (ev.labelId) s.dropLabel(ev.labelId);
      break;
    case "BOARD_RENAMED":
      if (ev.boardName) {
        const name = ev.boardName;
        s.setBoard((b) => ({ ...b, name }));
        document.title = `${name} — Taskboard`;
        say(`renamed the board to “${name}”.`);
      }
      break;
    case "BOARD_DELETED":
      navigate("#/", mine ? `The board “${s.boardName}” was deleted.` : `${who} deleted the board “${s.boardName}”.`);
      break;
  }
}
