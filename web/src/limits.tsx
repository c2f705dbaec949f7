// Input limits, from the server's `limits` query (its own constants): one source,
// so a field never takes what the server refuses, nor cuts what the server takes.
// Fields carry no maxLength: a paste stays whole, and the counter says how much is over.

import { useEffect, useState } from "preact/hooks";
import { anonymous } from "./api";
import { LIMITS } from "./queries";

export interface Limits {
  titleMaxLength: number;
  descriptionMaxLength: number;
  boardNameMaxLength: number;
  labelNameMaxLength: number;
  commentMaxLength: number;
  personNameMaxLength: number;
  searchMaxLength: number;
  passwordMinLength: number;
  passwordMaxLength: number;
}

let cached: Limits | null = null;
let loading: Promise<Limits | null> | null = null;

export function loadLimits(): Promise<Limits | null> {
  if (cached) return Promise.resolve(cached);
  loading ??= anonymous<{ limits: Limits }>(LIMITS)
    .then((d) => (cached = d.limits))
    .catch(() => {
      loading = null; // try again next time; meanwhile the server's own check answers
      return null;
    });
  return loading;
}

/** The limits once loaded (null until then). */
export function useLimits(): Limits | null {
  const [limits, setLimits] = useState<Limits | null>(cached);
  useEffect(() => {
    if (!cached) void loadLimits().then((l) => l && setLimits(l));
  }, []);
  return limits;
}

/** How far `text` is over `max` (0 when within it, or when the limit is not known yet). */
export function overBy(text: string, max: number | undefined): number {
  return max ? Math.max(0, [...text].length - max) : 0;
}

// Shown from 90% of the limit on.
const NEAR = 0.9;

/** A counter beside a field once its text nears the limit, and what is too much once over it. */
export function LimitNote(props: { id: string; text: string; max: number | undefined }) {
  const { max } = props;
  const n = [...props.text].length;
  if (!max || n < max * NEAR) return <span id={props.id} hidden />;
  const over = n - max;
  return (
    <span id={props.id} class={over > 0 ? "counter over" : "counter"} aria-live="polite">
      <span>{`${n} / ${max}`}</span>
      {over > 0 && <span>{` · ${over} character${over === 1 ? "" : "s"} too long`}</span>}
    </span>
  );
}
