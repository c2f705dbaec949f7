// Labels: coloured chips on cards, the picker in the task editor, the filter,
// and the manager (any member may create, rename, recolour and delete them).

import { useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { LimitNote, overBy, useLimits } from "./limits";
import { CREATE_LABEL, DELETE_LABEL, UPDATE_LABEL } from "./queries";
import type { Label } from "./types";
import { ErrorBanner } from "./ui";

export const DEFAULT_COLOR = "#2457c5";

/** Black or white text, whichever reads better on the label's colour. */
function inkOn(color: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return "#000";
  const [r, g, b] = m.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.179 ? "#000" : "#fff";
}

export function Chip(props: { label: Label }) {
  const { name, color } = props.label;
  return (
    <span class="chip" data-label={name} style={{ background: color, color: inkOn(color) }}>
      {name}
    </span>
  );
}

/** A task's labels, in the board's order; ids the board no longer has are left out. */
export function LabelChips(props: { ids: { id: string }[]; labels: Label[] }) {
  const mine = new Set(props.ids.map((l) => l.id));
  const shown = props.labels.filter((l) => mine.has(l.id));
  if (shown.length === 0) return null;
  return (
    <ul class="chips" aria-label="Labels">
      {shown.map((l) => (
        <li key={l.id}>
          <Chip label={l} />
        </li>
      ))}
    </ul>
  );
}

/** Checkboxes of the board's labels (the editor). */
export function LabelPicker(props: { labels: Label[]; selected: string[]; onChange: (ids: string[]) => void }) {
  if (props.labels.length === 0) {
    return <p class="hint">No labels on this board yet (add them in the board menu, under Labels).</p>;
  }
  const sel = new Set(props.selected);
  return (
    <fieldset class="label-picker">
      <legend>Labels</legend>
      {props.labels.map((l) => (
        <label key={l.id} class="check">
          <input type="checkbox" name="label" value={l.id} checked={sel.has(l.id)}
            onChange={(e) => {
              const next = new Set(sel);
              if (e.currentTarget.checked) next.add(l.id);
              else next.delete(l.id);
              props.onChange(props.labels.map((x) => x.id).filter((id) => next.has(id)));
            }} />
          <Chip label={l} />
        </label>
      ))}
    </fieldset>
  );
}

/** Toggle buttons in the filter bar: tasks that carry every chosen label (as TaskFilter.labelIds). */
export function LabelFilter(props: { labels: Label[]; selected: string[]; onChange: (ids: string[]) => void }) {
  if (props.labels.length === 0) return null;
  const sel = new Set(props.selected);
  return (
    <div class="label-filter" role="group" aria-label="Labels (tasks with all chosen)">
      <span class="label-filter-title" aria-hidden="true">Labels</span>
      {props.labels.map((l) => (
        <button key={l.id} type="button" class="chip-toggle" aria-pressed={sel.has(l.id)}
          onClick={() => props.onChange(sel.has(l.id) ? props.selected.filter((x) => x !== l.id) : [...props.selected, l.id])}>
          <Chip label={l} />
        </button>
      ))}
    </div>
  );
}

function LabelRow(props: { label: Label; onSaved: (l: Label) => void; onDeleted: (id: string) => void; onError: (m: string) => void }) {
  const l = props.label;
  const [name, setName] = useState(l.name);
  const [color, setColor] = useState(l.color);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const limits = useLimits();
  const changed = name.trim() !== l.name || color.toLowerCase() !== l.color.toLowerCase();

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const vars = { id: l.id, name: name.trim() !== l.name ? name.trim() : null, color: color !== l.color ? color : null };
      const d = await gql<{ updateLabel: Label }>(UPDATE_LABEL, vars);
      props.onSaved(d.updateLabel);
    } catch (err) {
      props.onError(describeError(err, `change the label “${l.name}”`));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await gql(DELETE_LABEL, { id: l.id });
      props.onDeleted(l.id);
    } catch (err) {
      props.onError(describeError(err, `delete the label “${l.name}”`));
      setBusy(false);
    }
  }

  return (
    <li>
      <form class="label-row" onSubmit={save} aria-label={`Label ${l.name}`}>
        <label>
          <span class="sr-only">Name of label {l.name}</span>
          <input type="text" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          <span class="sr-only">Colour of label {l.name}</span>
          <input type="color" value={color} onInput={(e) => setColor(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy || !changed || !name.trim() || overBy(name.trim(), limits?.labelNameMaxLength) > 0}>
          Save
        </button>
        {confirm ? (
          <>
            <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
              Yes, delete “{l.name}”
            </button>
            <button type="button" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" class="link danger" aria-label={`Delete label ${l.name}`} onClick={() => setConfirm(true)}>
            Delete
          </button>
        )}
      </form>
      {confirm && <p class="hint">It is taken off every task that carries it.</p>}
    </li>
  );
}

/** The board's labels: create, rename, recolour, delete. Changes also arrive live (LABEL_* events). */
export function LabelManager(props: { boardId: string; labels: Label[]; onSaved: (l: Label) => void; onDeleted: (id: string) => void }) {
  const [name, setName] = useState("");
  const [color, setColor] = useState(DEFAULT_COLOR);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const limits = useLimits();

  async function create(e: Event) {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const d = await gql<{ createLabel: Label }>(CREATE_LABEL, { boardId: props.boardId, name: name.trim(), color });
      props.onSaved(d.createLabel);
      setStatus(`Label “${d.createLabel.name}” created.`);
      setName("");
    } catch (err) {
      setError(describeError(err, "create the label", { CONFLICT: `Could not create it: the board already has a label “${name.trim()}”.` }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="stack">
      {props.labels.length === 0 ? (
        <p>No labels yet.</p>
      ) : (
        <ul class="label-list">
          {props.labels.map((l) => (
            // keyed by name and colour too: a change made elsewhere resets the row's inputs
            <LabelRow key={`${l.id}:${l.name}:${l.color}`} label={l}
              onSaved={(x) => {
                props.onSaved(x);
                setStatus(`Label “${x.name}” saved.`);
              }}
              onDeleted={(id) => {
                props.onDeleted(id);
                setStatus(`Label “${l.name}” deleted.`);
              }}
              onError={setError} />
          ))}
        </ul>
      )}
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <p role="status" class="sr-only">
        {status}
      </p>
      <form class="label-row" onSubmit={create} aria-label="New label">
        <label>
          New label
          <input type="text" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Colour
          <input type="color" value={color} onInput={(e) => setColor(e.currentTarget.value)} />
        </label>
        <LimitNote id="new-label-limit" text={name.trim()} max={limits?.labelNameMaxLength} />
        <button type="submit" class="primary" disabled={busy || overBy(name.trim(), limits?.labelNameMaxLength) > 0}>
          Add label
        </button>
      </form>
      <p class="hint">Every member of the board may add, change and delete labels.</p>
    </div>
  );
}
