export type TaskStatus = "TODO" | "IN_PROGRESS" | "IN_REVIEW" | "DONE";
export type BoardRole = "OWNER" | "MEMBER";

export const STATUSES: TaskStatus[] = ["TODO", "IN_PROGRESS", "IN_REVIEW", "DONE"];
export const STATUS_LABEL: Record<TaskStatus, string> = {
  TODO: "To do",
  IN_PROGRESS: "In progress",
  IN_REVIEW: "In review",
  DONE: "Done",
};

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface Member {
  user: User;
  role: BoardRole;
  addedAt: string;
}

export interface Task {
  id: string;
  title: string;
  description: string;
  status: TaskStatus;
  deadline: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  assignee: User | null;
  supervisor: User;
  /** Opaque key of the task's place in its column: columns sort by (rank, id). */
  rank: string;
  /** Only the ids: names and colours come from the board's labels (one home, and a cheap board query). */
  labels: { id: string }[];
  commentCount: number;
  viewerCan: TaskPermissions;
}

/** What the viewer may do to a task, as the server decides; a reason beside each refusal. */
export interface TaskPermissions {
  update: boolean;
  move: boolean;
  delete: boolean;
  comment: boolean;
  updateReason: string | null;
  moveReason: string | null;
  deleteReason: string | null;
  commentReason: string | null;
}

export interface Label {
  id: string;
  name: string;
  color: string; // #rrggbb
}

export interface Comment {
  id: string;
  taskId: string;
  author: User;
  body: string;
  createdAt: string;
  editedAt: string | null;
}

export interface BoardSummary {
  id: string;
  name: string;
  viewerRole: BoardRole;
  createdAt: string;
}

export interface Board extends BoardSummary {
  lastSeq: number;
  members: Member[];
  labels: Label[];
}

export interface ActivityEntry {
  id: string;
  kind: string;
  taskId: string | null;
  actorEmail: string;
  message: string;
  changes: unknown;
  at: string;
}

export type BoardEventKind =
  | "TASK_CREATED"
  | "TASK_UPDATED"
  | "TASK_DELETED"
  | "MEMBER_ADDED"
  | "MEMBER_REMOVED"
  | "MEMBER_ROLE_CHANGED"
  | "COMMENT_ADDED"
  | "COMMENT_UPDATED"
  | "COMMENT_DELETED"
  | "LABEL_CREATED"
  | "LABEL_UPDATED"
  | "LABEL_DELETED"
  | "BOARD_RENAMED"
  | "BOARD_DELETED";

export interface BoardEvent {
  kind: BoardEventKind;
  seq: number;
  boardId: string;
  taskId: string | null;
  task: Task | null;
  member: Member | null;
  actorEmail: string;
  at: string;
  comment: Comment | null;
  commentId: string | null;
  label: Label | null;
  labelId: string | null;
  boardName: string | null;
}
