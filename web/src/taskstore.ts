// The board's tasks: the newest version of each that the server told us of
// (events and answers alike); an older version never replaces a newer one.

import { useCallback, useRef, useState } from "preact/hooks";
import type { Task } from "./types";

export function useTaskStore() {
  const known = useRef(new Map<string, Task>());
  const [tasks, setTasks] = useState<Map<string, Task>>(new Map());
  const publish = useCallback(() => setTasks(new Map(known.current)), []);

  const reset = useCallback((all: Task[]) => {
    known.current = new Map(all.map((t) => [t.id, t]));
    publish();
  }, [publish]);

  const upsert = useCallback((t: Task) => {
    const cur = known.current.get(t.id);
    if (cur && cur.version > t.version) return;
    // The count is the loaded one plus the COMMENT_* events since: a task
    // snapshot's count may already include events not applied yet.
    known.current.set(t.id, cur ? { ...t, commentCount: cur.commentCount } : t);
    publish();
  }, [publish]);

  /** Change every task `fn` returns a new object for (comment counts, a deleted label). */
  const patchTasks = useCallback((fn: (t: Task) => Task) => {
    let changed = false;
    for (const [id, t] of known.current) {
      const n = fn(t);
      if (n !== t) {
        known.current.set(id, n);
        changed = true;
      }
    }
    if (changed) publish();
  }, [publish]);

  const removeLocal = useCallback((id: string) => {
    if (known.current.delete(id)) publish();
  }, [publish]);

  return { tasks, known, reset, upsert, patchTasks, removeLocal };
}
