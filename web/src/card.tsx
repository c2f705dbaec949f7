// One card on the board: title (opens the editor; arrow keys move it), labels,
// assignee, deadline, comment count, and the move select. Moving is offered only
// where the server's viewerCan allows it (else the reason shows instead); a card
// someone else just changed says so for a few seconds.

import { dueState, formatDate } from "./dates";
import { LabelChips } from "./labels";
import { STATUSES, STATUS_LABEL, type Label, type Task, type TaskStatus } from "./types";

export function Card(props: {
  task: Task;
  labels: Label[];
  dragging: boolean;
  /** Who else just changed it (by name), while the highlight lasts. */
  changedBy?: string;
  onOpen: () => void;
  onComments: () => void;
  onHistory: () => void;
  /** To another column (keyboard: keep the focus on the card). */
  onMove: (s: TaskStatus, keyboard: boolean) => void;
  /** Up (-1) or down (+1) within the column. */
  onShift: (delta: -1 | 1) => void;
  onDragStart: () => void;
  onDragEnd: () => void;
  /** A finger (or pen) on the drag handle: the board follows the pointer from here. */
  onHandleDown: (e: PointerEvent) => void;
}) {
  const t = props.task;
  const due = dueState(t);
  const idx = STATUSES.indexOf(t.status);
  const titleId = `task-${t.id}-title`;
  const n = t.commentCount;
  const canMove = t.viewerCan?.move ?? true;
  const why = `task-${t.id}-why`;
  return (
    <li
      class={`card${due ? ` ${due}` : ""}${props.dragging ? " dragging" : ""}${props.changedBy ? " changed" : ""}`}
      data-task-id={t.id}
      data-status={t.status}
      draggable={canMove}
      aria-labelledby={titleId}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", t.id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        props.onDragStart();
      }}
      onDragEnd={props.onDragEnd}
    >
      <div class="card-top">
      <h3 class="card-h" id={titleId}>
        <button
          type="button"
          class="card-title"
          aria-describedby="kbd-hint"
          onClick={props.onOpen}
          onKeyDown={(e) => {
            if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
            if (!canMove && e.key.startsWith("Arrow")) return;
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
      {canMove && (
        <span class="drag-handle" aria-hidden="true" title="Drag to move" onPointerDown={props.onHandleDown}>
          ⠿
        </span>
      )}
      </div>
      {props.changedBy && (
        <p class="changed-note" role="status">
          {props.changedBy} just changed this
        </p>
      )}
      <LabelChips ids={t.labels} labels={props.labels} />
      <dl class="meta">
        <div>
          <dt>Assignee</dt>
          <dd class="assignee">{t.assignee ? t.assignee.name : <span class="muted">Unassigned</span>}</dd>
        </div>
        <div>
          <dt>Comments</dt>
          <dd>
            {/* The name is the visible count with words around it (no aria-label that hides the count). */}
            <button type="button" class="link comment-btn" onClick={props.onComments}>
              <span class="sr-only">Comments on “{t.title}” (</span>
              <span class="comment-count">{n}</span>
              <span class="sr-only">)</span>
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
          <select value={t.status} disabled={!canMove} aria-describedby={canMove ? undefined : why} onChange={(e) => props.onMove(e.currentTarget.value as TaskStatus, true)}>
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
      {!canMove && t.viewerCan.moveReason && (
        <p class="why" id={why}>
          {t.viewerCan.moveReason}
        </p>
      )}
    </li>
  );
}
