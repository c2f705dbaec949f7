// Optimistic moves: a moved card shows in its new place at once; moves of one
// task are sent one after another (each carries the version the previous one
// produced); a CONFLICT puts the card back where the server has it and says why.

import { useRef, useState } from "preact/hooks";
import type { MutableRef } from "preact/hooks";
import { describeError, gql, toApiError } from "./api";
import { byRank, type Placement } from "./dnd";
import { MOVE_TASK, TASK } from "./queries";
import { STATUS_LABEL, type Task } from "./types";

export interface MoveDeps {
  known: MutableRef<Map<string, Task>>;
  upsert(t: Task): void;
  removeLocal(id: string): void;
  announce(text: string): void;
  notice(text: string): void;
  lastActor(id: string): string | undefined;
}

interface Queue {
  tail: Promise<void>;
  gen: number;
}

/** What a screen reader hears once a move is saved. */
function movedText(known: Map<string, Task>, t: Task, place: Placement): string {
  const where = STATUS_LABEL[t.status];
  if (!place.afterId && !place.beforeId) return `Moved “${t.title}” to ${where}.`;
  const column = [...known.values()].filter((x) => x.status === t.status).sort(byRank);
  const i = column.findIndex((x) => x.id === t.id);
  return `Moved “${t.title}” to position ${i + 1} of ${column.length} in ${where}.`;
}

export function useMoves(deps: MoveDeps) {
  const [pending, setPending] = useState<Map<string, Placement>>(new Map());
  const queues = useRef(new Map<string, Queue>());
  const d = useRef(deps);
  d.current = deps;

  function setPlace(id: string, place: Placement | null) {
    setPending((prev) => {
      const next = new Map(prev);
      if (place) next.set(id, place);
      else next.delete(id);
      return next;
    });
  }

  async function send(id: string, title: string, place: Placement, q: Queue): Promise<void> {
    const { known, upsert } = d.current;
    const cur = known.current.get(id);
    if (!cur) return;
    try {
      const input = { status: place.status, afterTaskId: place.afterId, beforeTaskId: place.beforeId, expectedVersion: cur.version };
      const r = await gql<{ moveTask: Task }>(MOVE_TASK, { id, input });
      upsert(r.moveTask);
      d.current.announce(movedText(known.current, r.moveTask, place));
    } catch (e) {
      q.gen += 1; // drop the moves queued behind this one
      await refused(id, title, e);
    }
  }

  async function refused(id: string, title: string, e: unknown): Promise<void> {
    const { upsert, removeLocal, notice, lastActor } = d.current;
    const err = toApiError(e);
    if (err.code === "CONFLICT") {
      const latest = await gql<{ task: Task | null }>(TASK, { id }).catch(() => ({ task: null }));
      if (latest.task) {
        upsert(latest.task);
        const who = lastActor(id);
        notice(
          `“${title}” was changed${who ? ` by ${who}` : " by someone else"} before your move, so it was not moved. ` +
            `It now shows the latest version (in ${STATUS_LABEL[latest.task.status]}). Move it again if you still want to.`,
        );
      } else {
        removeLocal(id);
        notice(`“${title}” was deleted by someone else.`);
      }
      return;
    }
    if (err.code === "NOT_FOUND") removeLocal(id);
    notice(describeError(err, `move “${title}”`));
  }

  function move(task: Task, place: Placement) {
    setPlace(task.id, place); // shown at once
    const q = queues.current.get(task.id) ?? { tail: Promise.resolve(), gen: 0 };
    const gen = q.gen;
    const tail = q.tail.then(() => (q.gen === gen ? send(task.id, task.title, place, q) : undefined));
    q.tail = tail;
    queues.current.set(task.id, q);
    void tail.finally(() => {
      if (q.tail === tail) {
        queues.current.delete(task.id);
        setPlace(task.id, null);
      }
    });
  }

  return { pending, move };
}
