// The board's side panel: members, labels, a task's comments, or the activity log.

import { withLabel, withMember } from "./boardevents";
import type { CommentBus } from "./comments";
import { LabelManager } from "./labels";
import { ActivityPanel } from "./activity";
import { MembersPanel, PanelHead } from "./panels";
import { TaskPanel } from "./taskpanel";
import type { Board, Label, Task, User } from "./types";

export type PanelState =
  | { kind: "activity"; taskId?: string }
  | { kind: "members" }
  | { kind: "labels" }
  | { kind: "task"; taskId: string }
  | null;

export const PANEL_NAME = { activity: "Activity", members: "Members", labels: "Labels", task: "Task" } as const;

export function BoardSide(props: {
  panel: NonNullable<PanelState>;
  board: Board;
  tasks: Map<string, Task>;
  me: User;
  bus: CommentBus;
  tick: number;
  setBoard: (fn: (b: Board) => Board) => void;
  dropLabel: (id: string) => void;
  open: (p: PanelState) => void;
  edit: (taskId: string) => void;
  onClose: () => void;
}) {
  const { panel, board, tasks, setBoard } = props;
  return (
    <aside class="side-panel" aria-label={PANEL_NAME[panel.kind]}>
      {panel.kind === "members" ? (
        <MembersPanel board={board} me={props.me} tasks={tasks} onClose={props.onClose}
          onMemberAdded={(m) => setBoard((b) => ({ ...b, members: withMember(b.members, m) }))}
          onMemberRemoved={(id) => setBoard((b) => ({ ...b, members: b.members.filter((x) => x.user.id !== id) }))} />
      ) : panel.kind === "labels" ? (
        <div class="panel">
          <PanelHead title="Labels" onClose={props.onClose} />
          <LabelManager boardId={board.id} labels={board.labels}
            onSaved={(l: Label) => setBoard((b) => ({ ...b, labels: withLabel(b.labels, l) }))} onDeleted={props.dropLabel} />
        </div>
      ) : panel.kind === "task" ? (
        <TaskPanel key={panel.taskId} board={board} task={tasks.get(panel.taskId)} taskId={panel.taskId} me={props.me} bus={props.bus}
          onEdit={() => props.edit(panel.taskId)}
          onHistory={() => props.open({ kind: "activity", taskId: panel.taskId })}
          onClose={props.onClose} />
      ) : (
        <ActivityPanel board={board} tasks={tasks}
          task={panel.taskId ? tasks.get(panel.taskId) ?? { id: panel.taskId, title: "Deleted task" } : undefined}
          tick={props.tick} onBoard={() => props.open({ kind: "activity" })} onClose={props.onClose} />
      )}
    </aside>
  );
}
