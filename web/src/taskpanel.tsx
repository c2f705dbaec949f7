// The side panel of one task: its labels, a way to edit it or see its history,
// and its comments.

import { Comments, type CommentBus } from "./comments";
import { LabelChips } from "./labels";
import { PanelHead } from "./panels";
import { STATUS_LABEL, type Board, type Task, type User } from "./types";

export function TaskPanel(props: {
  board: Board;
  task: Task | undefined;
  taskId: string;
  me: User;
  bus: CommentBus;
  onEdit: () => void;
  onHistory: () => void;
  onClose: () => void;
}) {
  const t = props.task;
  return (
    <div class="panel">
      <PanelHead title={t ? t.title : "Deleted task"} onClose={props.onClose} />
      {t ? (
        <>
          <p class="muted">
            {STATUS_LABEL[t.status]} · {t.assignee ? `assigned to ${t.assignee.name}` : "unassigned"}
          </p>
          <LabelChips ids={t.labels} labels={props.board.labels} />
          <div class="row">
            <button type="button" onClick={props.onEdit}>
              Edit task
            </button>
            <button type="button" class="link" onClick={props.onHistory}>
              History
            </button>
          </div>
          <Comments taskId={props.taskId} me={props.me} can={props.task?.viewerCan} role={props.board.viewerRole} members={props.board.members} bus={props.bus} />
        </>
      ) : (
        <p>This task was deleted.</p>
      )}
    </div>
  );
}
