// The board's manual order: how a column sorts, where a dragged card lands, and
// which neighbours (afterTaskId / beforeTaskId) a move names for the server.

import type { Task, TaskStatus } from "./types";

/** Where a moved card goes: its column and the cards it lands between (as the user saw them). */
export interface Placement {
  status: TaskStatus;
  afterId: string | null;
  beforeId: string | null;
}

/** The server's order of a column: rank, then id (equal keys after concurrent moves). */
export function byRank(a: Task, b: Task): number {
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * One column's cards: the settled ones by rank, and each card with a move in
 * flight where the user put it (next to the neighbours it was dropped between),
 * so an optimistic move shows at once and snaps back if it is refused.
 */
export function orderColumn(settled: Task[], moving: { task: Task; place: Placement }[]): Task[] {
  const out = [...settled].sort(byRank);
  for (const { task, place } of moving) {
    const after = place.afterId ? out.findIndex((t) => t.id === place.afterId) : -1;
    const before = place.beforeId ? out.findIndex((t) => t.id === place.beforeId) : -1;
    const at = after >= 0 ? after + 1 : before >= 0 ? before : out.length;
    out.splice(at, 0, task);
  }
  return out;
}

/** The neighbours of a card put at `index` of `others` (the column without that card). */
export function neighboursAt(others: Task[], index: number): { afterId: string | null; beforeId: string | null } {
  const i = Math.max(0, Math.min(index, others.length));
  return { afterId: i > 0 ? others[i - 1].id : null, beforeId: i < others.length ? others[i].id : null };
}

/** Index among the column's other cards where a drop at `clientY` lands: before the first card whose middle is below it. */
export function dropIndex(list: Element | null, clientY: number, draggedId: string | null): number {
  if (!list) return 0;
  const cards = [...list.querySelectorAll<HTMLElement>(":scope > li.card")].filter((el) => el.dataset.taskId !== draggedId);
  const i = cards.findIndex((el) => {
    const r = el.getBoundingClientRect();
    return clientY < r.top + r.height / 2;
  });
  return i < 0 ? cards.length : i;
}

/** A move that changes nothing: same column, between the same cards. */
export function isNoop(column: Task[], task: Task, place: Placement): boolean {
  if (task.status !== place.status) return false;
  const others = column.filter((t) => t.id !== task.id);
  const i = column.findIndex((t) => t.id === task.id);
  if (i < 0) return false;
  const now = neighboursAt(others, i);
  return now.afterId === place.afterId && now.beforeId === place.beforeId;
}
