// Create and edit a task. Edits carry expectedVersion: when someone else saved
// first (CONFLICT) the dialog shows their version next to the user's edits and
// lets the user keep theirs or save again on top of the newer version. Nothing
// is ever overwritten silently. When someone else saves while the dialog is open,
// the fields the user has not touched take their values in place. What the user
// may do comes from the task's viewerCan (the server's rule and its reasons);
// field lengths from the server's limits.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql, toApiError } from "./api";
import { CREATE_TASK, DELETE_TASK, TASK, UPDATE_TASK } from "./queries";
import { STATUSES, STATUS_LABEL, type Label, type Member, type Task, type TaskStatus } from "./types";
import { formatDate } from "./dates";
import { ConflictBanner, type Conflict } from "./conflict";
import { LabelPicker } from "./labels";
import { LimitNote, overBy, useLimits } from "./limits";
import { ErrorBanner, Modal } from "./ui";

interface Form {
  title: string;
  description: string;
  status: TaskStatus;
  assigneeId: string; // "" = unassigned
  deadline: string; // "" = none
  labels: string; // label ids, sorted and comma-joined, so fields compare as strings
}
export type Field = keyof Form;
const FIELDS: Field[] = ["title", "description", "status", "assigneeId", "deadline", "labels"];
export const FIELD_LABEL: Record<Field, string> = {
  title: "Title",
  description: "Description",
  status: "Status",
  assigneeId: "Assignee",
  deadline: "Deadline",
  labels: "Labels",
};

const joinIds = (ids: string[]): string => [...ids].sort().join(",");
const splitIds = (s: string): string[] => (s ? s.split(",") : []);

export function formOf(t: Task): Form {
  return {
    title: t.title,
    description: t.description,
    status: t.status,
    assigneeId: t.assignee?.id ?? "",
    deadline: t.deadline ?? "",
    labels: joinIds(t.labels.map((l) => l.id)),
  };
}

function changedFields(a: Form, b: Form): Field[] {
  return FIELDS.filter((f) => a[f] !== b[f]);
}

function toInput(form: Form, fields: Field[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const f of fields) {
    if (f === "assigneeId") input.assigneeId = form.assigneeId || null;
    else if (f === "deadline") input.deadline = form.deadline || null;
    else if (f === "title") input.title = form.title.trim();
    else if (f === "labels") input.labelIds = splitIds(form.labels);
    else input[f] = form[f];
  }
  return input;
}

export type { Form };

export function TaskEditor(props: {
  boardId: string;
  members: Member[];
  labels: Label[];
  task?: Task | null; // edit mode: the live task (null once deleted); undefined: create mode
  initialStatus?: TaskStatus;
  lastActor: (taskId: string) => string | undefined;
  onClose: () => void;
  onSaved: (t: Task) => void;
  onDeleted: (id: string) => void;
  onHistory: (taskId: string) => void;
  onComments: (taskId: string) => void;
}) {
  const creating = props.task === undefined;
  // The version this edit is based on; stays fixed while the live task moves on.
  const [base, setBase] = useState<Task | null>(props.task ?? null);
  const [form, setForm] = useState<Form>(
    base ? formOf(base) : { title: "", description: "", status: props.initialStatus ?? "TODO", assigneeId: "", deadline: "", labels: "" },
  );
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [merged, setMerged] = useState<string | null>(null);
  const limits = useLimits();

  const live = props.task;
  const deletedMeanwhile = !creating && live === null;
  const can = live?.viewerCan ?? base?.viewerCan;
  const mayUpdate = creating || (can?.update ?? true);
  const mayDelete = can?.delete ?? true;
  const titleOver = overBy(form.title.trim(), limits?.titleMaxLength);
  const descriptionOver = overBy(form.description, limits?.descriptionMaxLength);

  function memberName(id: string): string {
    if (!id) return "Unassigned";
    return props.members.find((x) => x.user.id === id)?.user.name ?? "someone no longer on the board";
  }

  /** Compare `theirs` with the version the edit started from: merge, or show what clashes. */
  function takeTheirs(theirs: Task, always = false): boolean {
    if (!base) return false;
    const baseForm = formOf(base);
    const theirForm = formOf(theirs);
    const mine = changedFields(form, baseForm);
    const theirChanges = changedFields(theirForm, baseForm);
    const clashes = mine.filter((f) => theirChanges.includes(f) && form[f] !== theirForm[f]);
    // Keep the user's edits; take theirs for every field the user did not touch.
    const next = { ...theirForm };
    for (const f of mine) (next as Record<Field, string>)[f] = form[f];
    setBase(theirs);
    setForm(next);
    if (clashes.length || always) setConflict({ theirs, by: props.lastActor(theirs.id), theirChanges, clashes });
    return clashes.length === 0;
  }

  // Someone else saved while the dialog is open: their values in place, the user's edits kept.
  useEffect(() => {
    if (creating || conflict || !live || !base || live.version <= base.version) return;
    if (takeTheirs(live)) {
      const by = props.lastActor(live.id) ?? "Someone else";
      setMerged(`${by} changed this task while you were editing. Their changes are in the form; yours are kept.`);
    }
  }, [live?.version]);

  function show(f: Field, v: Form): string {
    if (f === "status") return STATUS_LABEL[v.status];
    if (f === "assigneeId") return memberName(v.assigneeId);
    if (f === "deadline") return v.deadline ? formatDate(v.deadline) : "No deadline";
    if (f === "labels") {
      const names = splitIds(v.labels).map((id) => props.labels.find((l) => l.id === id)?.name ?? "a deleted label");
      return names.length ? names.join(", ") : "No labels";
    }
    return v[f] || "(empty)";
  }

  /** Someone else saved first: merge what can be merged, show what clashes. */
  async function onConflict(): Promise<void> {
    if (!base) return;
    const d = await gql<{ task: Task | null }>(TASK, { id: base.id });
    if (!d.task) {
      setError("Someone else deleted this task, so your changes cannot be saved.");
      return;
    }
    takeTheirs(d.task, true);
  }

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    if (!form.title.trim()) {
      setError("The task needs a title.");
      return;
    }
    if (titleOver || descriptionOver) return;
    setBusy(true);
    try {
      if (creating) {
        const d = await gql<{ createTask: Task }>(CREATE_TASK, {
          input: {
            boardId: props.boardId,
            title: form.title.trim(),
            description: form.description,
            status: form.status,
            deadline: form.deadline || null,
            assigneeId: form.assigneeId || null,
            labelIds: splitIds(form.labels),
          },
        });
        props.onSaved(d.createTask);
        props.onClose();
        return;
      }
      if (!base) return;
      const fields = changedFields(form, formOf(base));
      if (fields.length === 0) {
        props.onClose();
        return;
      }
      const d = await gql<{ updateTask: Task }>(UPDATE_TASK, {
        id: base.id,
        input: { ...toInput(form, fields), expectedVersion: base.version },
      });
      props.onSaved(d.updateTask);
      props.onClose();
    } catch (err) {
      const ae = toApiError(err);
      if (ae.code === "CONFLICT" && !creating) {
        try {
          await onConflict();
        } catch (e2) {
          setError(describeError(e2, "load the newer version"));
        }
      } else {
        setError(describeError(ae, creating ? "create the task" : "save the task"));
      }
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!base) return;
    setBusy(true);
    setError(null);
    try {
      await gql(DELETE_TASK, { id: base.id, expectedVersion: base.version });
      props.onDeleted(base.id);
      props.onClose();
    } catch (err) {
      const ae = toApiError(err);
      setConfirmDelete(false);
      if (ae.code === "CONFLICT") {
        try {
          await onConflict();
        } catch (e2) {
          setError(describeError(e2, "load the newer version"));
        }
      } else setError(describeError(ae, "delete the task"));
    } finally {
      setBusy(false);
    }
  }

  const set = (f: Field) => (e: Event) => setForm({ ...form, [f]: (e.currentTarget as HTMLInputElement).value });

  return (
    <Modal title={creating ? "New task" : "Edit task"} onClose={props.onClose} wide>
      <form class="stack editor" onSubmit={save} aria-describedby={conflict ? "conflict" : undefined}>
        {conflict && (
          <ConflictBanner conflict={conflict} form={form} busy={busy} show={show}
            onDiscard={() => {
              setForm(formOf(conflict.theirs));
              setConflict(null);
            }} />
        )}
        {deletedMeanwhile && (
          <p class="banner error" role="alert">
            This task was deleted by someone else.
          </p>
        )}
        {merged && !conflict && (
          <p class="banner info" role="status">
            {merged}
          </p>
        )}
        {!mayUpdate && can?.updateReason && (
          <p class="banner info why" id="editor-why">
            {can.updateReason}
          </p>
        )}
        <fieldset class="plain stack" disabled={!mayUpdate} aria-describedby={mayUpdate ? undefined : "editor-why"}>
        <label>
          Title
          <input type="text" name="title" required value={form.title} onInput={set("title")}
            aria-invalid={titleOver > 0} aria-describedby="title-limit" />
        </label>
        <LimitNote id="title-limit" text={form.title.trim()} max={limits?.titleMaxLength} />
        <label>
          Description
          <textarea name="description" rows={4} value={form.description} onInput={set("description")}
            aria-invalid={descriptionOver > 0} aria-describedby="description-limit" />
        </label>
        <LimitNote id="description-limit" text={form.description} max={limits?.descriptionMaxLength} />
        <div class="grid2">
          <label>
            Status
            <select name="status" value={form.status} onChange={set("status")}>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Assignee
            <select name="assignee" value={form.assigneeId} onChange={set("assigneeId")}>
              <option value="">Unassigned</option>
              {props.members.map((m) => (
                <option key={m.user.id} value={m.user.id}>
                  {m.user.name} ({m.user.email})
                </option>
              ))}
              {form.assigneeId && !props.members.some((m) => m.user.id === form.assigneeId) && (
                <option value={form.assigneeId}>Former member</option>
              )}
            </select>
          </label>
          <label>
            Deadline
            <input type="date" name="deadline" value={form.deadline} onInput={set("deadline")} onChange={set("deadline")} />
          </label>
        </div>
        <LabelPicker labels={props.labels} selected={splitIds(form.labels)}
          onChange={(ids) => setForm({ ...form, labels: joinIds(ids) })} />
        </fieldset>
        {base && <p class="hint">Supervisor: {base.supervisor.name}</p>}
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <div class="row spread">
          <div class="row">
            {!conflict && (
              <button type="submit" class="primary"
                disabled={busy || deletedMeanwhile || !mayUpdate || titleOver > 0 || descriptionOver > 0}>
                {creating ? "Create task" : "Save"}
              </button>
            )}
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
          </div>
          {!creating && base && (
            <div class="row">
              <button type="button" class="link" onClick={() => props.onComments(base.id)}>
                Comments ({live?.commentCount ?? base.commentCount})
              </button>
              <button type="button" class="link" onClick={() => props.onHistory(base.id)}>
                History
              </button>
              {confirmDelete ? (
                <>
                  <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
                    Yes, delete
                  </button>
                  <button type="button" onClick={() => setConfirmDelete(false)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" class="danger" disabled={deletedMeanwhile || !mayDelete}
                  aria-describedby={mayDelete ? undefined : "delete-why"} onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
              )}
            </div>
          )}
          {!creating && !mayDelete && can?.deleteReason && (
            <p class="hint why" id="delete-why">
              {can.deleteReason}
            </p>
          )}
        </div>
      </form>
    </Modal>
  );
}
