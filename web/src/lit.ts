// Cards someone else just changed: task id -> their name, each for a few seconds.

import { useState } from "preact/hooks";

const LIT_MS = 8_000;

export function useLit(): [Map<string, string>, (taskId: string, name: string) => void] {
  const [lit, setLit] = useState<Map<string, string>>(new Map());
  function light(taskId: string, name: string): void {
    setLit((m) => new Map(m).set(taskId, name));
    window.setTimeout(() => setLit((m) => {
      if (m.get(taskId) !== name) return m;
      const next = new Map(m);
      next.delete(taskId);
      return next;
    }), LIT_MS);
  }
  return [lit, light];
}
