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

export type BoardEventKind = "TASK_CREATED" | "TASK_UPDATED" | "TASK_DELETED" | "MEMBER_ADDED" | "MEMBER_REMOVED";

export interface BoardEvent {
  kind: BoardEventKind;
  seq: number;
  boardId: string;
  taskId: string | null;
  task: Task | null;
  member: Member | null;
  actorEmail: string;
  at: string;
}

export interface NotificationSettings {
  emailOnTaskChange: boolean;
  emailDeadlineReminders: boolean;
  smsOnTaskChange: boolean;
  phoneNumber: string | null;
}
