// One card on the board: title (opens the editor; arrow keys move it), labels,
// assignee, deadline, comment count, and the move select.

import { dueState, formatDate } from "./dates";
import { LabelChips } from "./labels";
import { STATUSES, STATUS_LABEL, type Label, type Task, type TaskStatus } from "./types";

export function Card(props: {
  task: Task;
  labels: Label[];
  dragging: boolean;
  onOpen: () => void;
  onComments: () => void;
  onHistory: () => void;
  /** To another column (keyboard: keep the focus on the card). */
  onMove: (s: TaskStatus, keyboard: boolean) => void;
  /** Up (-1) or down (+1) within the column. */
  onShift: (delta: -1 | 1) => void;
  onDragStart: () => void;
  onDragEnd: () => void;
}) {
  const t = props.task;
  const due = dueState(t);
  const idx = STATUSES.indexOf(t.status);
  const titleId = `task-${t.id}-title`;
  const n = t.commentCount;
  return (
    <li
      class={`card${due ? ` ${due}` : ""}${props.dragging ? " dragging" : ""}`}
      data-task-id={t.id}
      data-status={t.status}
      draggable
      aria-labelledby={titleId}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", t.id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        props.onDragStart();
      }}
      onDragEnd={props.onDragEnd}
    >
      <h3 class="card-h" id={titleId}>
        <button
          type="button"
          class="card-title"
          aria-describedby="kbd-hint"
          onClick={props.onOpen}
          onKeyDown={(e) => {
            if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
            if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
              const next = STATUSES[idx + (e.key === "ArrowRight" ? 1 : -1)];
              e.preventDefault();
              if (next) props.onMove(next, true);
            } else if (e.key === "ArrowUp" || e.key === "ArrowDown") {
              e.preventDefault();
              props.onShift(e.key === "ArrowUp" ? -1 : 1);
            }
          }}
        >
          {t.title}
        </button>
      </h3>
      <LabelChips ids={t.labels} labels={props.labels} />
      <dl class="meta">
        <div>
          <dt>Assignee</dt>
          <dd class="assignee">{t.assignee ? t.assignee.name : <span class="muted">Unassigned</span>}</dd>
        </div>
        <div>
          <dt>Comments</dt>
          <dd>
            <button type="button" class="link comment-count" onClick={props.onComments} aria-label={`Comments on “${t.title}” (${n})`}>
              {n}
            </button>
          </dd>
        </div>
        {t.deadline && (
          <div>
            <dt>Deadline</dt>
            <dd class="deadline">
              <time dateTime={t.deadline}>{formatDate(t.deadline)}</time>
              {due === "overdue" && <span class="tag overdue">Overdue</span>}
              {due === "soon" && <span class="tag soon">Due soon</span>}
            </dd>
          </div>
        )}
      </dl>
      <div class="card-actions">
        <label class="move">
          <span class="sr-only">Move “{t.title}” to</span>
          <select value={t.status} onChange={(e) => props.onMove(e.currentTarget.value as TaskStatus, true)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === t.status ? `${STATUS_LABEL[s]} (current)` : `Move to ${STATUS_LABEL[s]}`}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="link" onClick={props.onHistory} aria-label={`History of “${t.title}”`}>
          History
        </button>
      </div>
    </li>
  );
}
