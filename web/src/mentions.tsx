// A comment textarea that completes `@` mentions from the board's members
// (a combobox: arrows choose, Enter or Tab takes, Escape closes). A mention is
// `@` and the member's email, as the API reads it.

import { useRef, useState } from "preact/hooks";
import { LimitNote } from "./limits";
import type { Member } from "./types";

let nextId = 0;

/** The `@word` being typed just before the caret, if any. */
function typedMention(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)@([^\s@]*(?:@[^\s@]*)?)$/.exec(text.slice(0, caret));
  return m ? { start: caret - m[2].length - 1, query: m[2].toLowerCase() } : null;
}

export function MentionBox(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  members: Member[];
  hint?: string;
  /** The server's limit (limits.tsx): a counter near it, no silent cut. */
  max?: number;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [uid] = useState(() => `mention-${++nextId}`);
  const [at, setAt] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);

  const matches = at
    ? props.members
        .filter((m) => m.user.email.toLowerCase().includes(at.query) || m.user.name.toLowerCase().includes(at.query))
        .slice(0, 6)
    : [];
  const open = matches.length > 0;

  function update(el: HTMLTextAreaElement) {
    props.onChange(el.value);
    setAt(typedMention(el.value, el.selectionStart ?? el.value.length));
    setActive(0);
  }

  function take(m: Member) {
    const el = ref.current;
    if (!el || !at) return;
    const caret = el.selectionStart ?? el.value.length;
    const insert = `@${m.user.email} `;
    const next = el.value.slice(0, at.start) + insert + el.value.slice(caret);
    props.onChange(next);
    setAt(null);
    const pos = at.start + insert.length;
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(pos, pos);
    });
  }

  return (
    <div class="mention-box">
      <label for={`${uid}-input`}>{props.label}</label>
      <textarea
        ref={ref}
        id={`${uid}-input`}
        rows={3}
        value={props.value}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={`${uid}-list`}
        aria-activedescendant={open ? `${uid}-opt-${active}` : undefined}
        aria-describedby={`${props.hint ? `${uid}-hint ` : ""}${uid}-limit`}
        onInput={(e) => update(e.currentTarget)}
        onClick={(e) => update(e.currentTarget)}
        onBlur={() => setAt(null)}
        onKeyDown={(e) => {
          if (!open) return;
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            const n = matches.length;
            setActive((i) => (i + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
          } else if (e.key === "Enter" || e.key === "Tab") {
            e.preventDefault();
            take(matches[Math.min(active, matches.length - 1)]);
          } else if (e.key === "Escape") {
            e.preventDefault();
            e.stopPropagation();
            setAt(null);
          }
        }}
      />
      <LimitNote id={`${uid}-limit`} text={props.value} max={props.max} />
      {props.hint && (
        <p id={`${uid}-hint`} class="hint">
          {props.hint}
        </p>
      )}
      <ul id={`${uid}-list`} role="listbox" aria-label="Members to mention" class="mention-list" hidden={!open}>
        {matches.map((m, i) => (
          <li key={m.user.id} id={`${uid}-opt-${i}`} role="option" aria-selected={i === active}
            onMouseDown={(e) => {
              e.preventDefault(); // keep the focus in the textarea
              take(m);
            }}>
            {m.user.name} <span class="muted">{m.user.email}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
