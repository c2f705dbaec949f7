// Create and edit a task. Edits carry expectedVersion: when someone else saved
// first (CONFLICT) the dialog shows their version next to the user's edits and
// lets the user keep theirs or save again on top of the newer version. Nothing
// is ever overwritten silently.

import { useState } from "preact/hooks";
import { describeError, gql, toApiError } from "./api";
import { CREATE_TASK, DELETE_TASK, TASK, UPDATE_TASK } from "./queries";
import { STATUSES, STATUS_LABEL, type Label, type Member, type Task, type TaskStatus } from "./types";
import { formatDate } from "./dates";
import { LabelPicker } from "./labels";
import { ErrorBanner, Modal } from "./ui";

interface Form {
  title: string;
  description: string;
  status: TaskStatus;
  assigneeId: string; // "" = unassigned
  deadline: string; // "" = none
  labels: string; // label ids, sorted and comma-joined, so fields compare as strings
}
type Field = keyof Form;
const FIELDS: Field[] = ["title", "description", "status", "assigneeId", "deadline", "labels"];
const FIELD_LABEL: Record<Field, string> = {
  title: "Title",
  description: "Description",
  status: "Status",
  assigneeId: "Assignee",
  deadline: "Deadline",
  labels: "Labels",
};

const joinIds = (ids: string[]): string => [...ids].sort().join(",");
const splitIds = (s: string): string[] => (s ? s.split(",") : []);

function formOf(t: Task): Form {
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

interface Conflict {
  theirs: Task;
  by?: string;
  theirChanges: Field[]; // what they changed since the version the user started from
  clashes: Field[]; // fields both changed, differently
}

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

  const live = props.task;
  const deletedMeanwhile = !creating && live === null;
  const newerMeanwhile = !creating && live && base && live.version > base.version && !conflict;

  function memberName(id: string): string {
    if (!id) return "Unassigned";
    const m = props.members.find((x) => x.user.id === id);
    return m ? `${m.user.name} (${m.user.email})` : "someone no longer on the board";
  }

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
    const theirs = d.task;
    const baseForm = formOf(base);
    const theirForm = formOf(theirs);
    const mine = changedFields(form, baseForm);
    const theirChanges = changedFields(theirForm, baseForm);
    const clashes = mine.filter((f) => theirChanges.includes(f) && form[f] !== theirForm[f]);
    // Keep the user's edits; take theirs for every field the user did not touch.
    const merged = { ...theirForm };
    for (const f of mine) (merged as Record<Field, string>)[f] = form[f];
    setConflict({ theirs, by: props.lastActor(theirs.id), theirChanges, clashes });
    setBase(theirs);
    setForm(merged);
  }

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    if (!form.title.trim()) {
      setError("The title cannot be empty.");
      return;
    }
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
          <div class="banner conflict" role="alert" id="conflict">
            <p>
              <strong>
                {conflict.by ? `${conflict.by} saved` : "Someone else saved"} a newer version of this task (version {conflict.theirs.version})
                while you were editing.
              </strong>{" "}
              Your changes were not saved yet.
            </p>
            {conflict.theirChanges.length > 0 && (
              <table class="diff">
                <caption>Their version</caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Now saved</th>
                    <th scope="col">In your form</th>
                  </tr>
                </thead>
                <tbody>
                  {conflict.theirChanges.map((f) => (
                    <tr key={f} class={conflict.clashes.includes(f) ? "clash" : ""}>
                      <th scope="row">{FIELD_LABEL[f]}</th>
                      <td class="theirs">{show(f, formOf(conflict.theirs))}</td>
                      <td>{show(f, form)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p>
              {conflict.clashes.length
                ? "Fields you both changed keep your value in the form. "
                : "Your edits were kept in the form on top of their version. "}
              Save again to apply your version, or discard your edits.
            </p>
            <div class="row">
              <button type="submit" class="primary" disabled={busy}>
                Save my version
              </button>
              <button type="button" onClick={() => { setForm(formOf(conflict.theirs)); setConflict(null); }}>
                Discard my edits
              </button>
            </div>
          </div>
        )}
        {deletedMeanwhile && (
          <p class="banner error" role="alert">
            This task was deleted by someone else.
          </p>
        )}
        {newerMeanwhile && live && (
          <p class="banner info" role="status">
            {props.lastActor(live.id) ?? "Someone"} changed this task while you were editing (now version {live.version}).
            If you save, you will be asked how to combine the changes.
          </p>
        )}
        <label>
          Title
          <input type="text" name="title" required maxLength={500} value={form.title} onInput={set("title")} />
        </label>
        <label>
          Description
          <textarea name="description" rows={4} value={form.description} onInput={set("description")} />
        </label>
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
        {base && (
          <p class="hint">
            Supervisor: {base.supervisor.name} ({base.supervisor.email}) · version {base.version}
          </p>
        )}
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <div class="row spread">
          <div class="row">
            {!conflict && (
              <button type="submit" class="primary" disabled={busy || deletedMeanwhile}>
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
                <button type="button" class="danger" disabled={deletedMeanwhile} onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
              )}
            </div>
          )}
        </div>
      </form>
    </Modal>
  );
}
