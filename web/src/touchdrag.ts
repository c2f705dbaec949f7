// Drag by touch (or pen): a finger on a card's handle moves the card. HTML5 drag
// and drop is mouse-only, so the pointer is followed by hand: the column under it
// and the place among its cards, and the page scrolls when the finger nears an edge.

import { dropIndex } from "./dnd";
import type { TaskStatus } from "./types";

export interface TouchDragHandlers {
  over(status: TaskStatus | null, index: number): void;
  drop(status: TaskStatus, index: number): void;
  end(): void;
}

const EDGE = 56; // px from the viewport's top or bottom where the page scrolls

export function startTouchDrag(e: PointerEvent, taskId: string, h: TouchDragHandlers): void {
  if (e.pointerType === "mouse") return; // the mouse drags the card itself
  e.preventDefault();
  const handle = e.currentTarget as HTMLElement;
  handle.setPointerCapture?.(e.pointerId);
  let last: { status: TaskStatus; index: number } | null = null;

  const at = (x: number, y: number): { status: TaskStatus; index: number } | null => {
    const col = document.elementFromPoint(x, y)?.closest<HTMLElement>("section.column");
    if (!col?.dataset.status) return null;
    return { status: col.dataset.status as TaskStatus, index: dropIndex(col.querySelector("ul.cards"), y, taskId) };
  };
  const move = (ev: PointerEvent): void => {
    if (ev.pointerId !== e.pointerId) return;
    if (ev.clientY < EDGE) window.scrollBy(0, -12);
    else if (ev.clientY > window.innerHeight - EDGE) window.scrollBy(0, 12);
    last = at(ev.clientX, ev.clientY);
    h.over(last?.status ?? null, last?.index ?? 0);
  };
  const finish = (ev: PointerEvent): void => {
    if (ev.pointerId !== e.pointerId) return;
    handle.removeEventListener("pointermove", move);
    handle.removeEventListener("pointerup", finish);
    handle.removeEventListener("pointercancel", finish);
    const place = ev.type === "pointerup" ? at(ev.clientX, ev.clientY) ?? last : null;
    if (place) h.drop(place.status, place.index);
    else h.end();
  };
  handle.addEventListener("pointermove", move);
  handle.addEventListener("pointerup", finish);
  handle.addEventListener("pointercancel", finish);
}
