// Deadlines are calendar dates ("2023-06-22"); compared with the user's local today.

import type { Task } from "./types";

export function localISODate(d: Date = new Date()): string {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, "0");
  return `${y}-${m}-${day}`;
}

export function addDays(iso: string, days: number): string {
  const [y, m, d] = iso.split("-").map(Number);
  return localISODate(new Date(y, m - 1, d + days));
}

export type DueState = "overdue" | "soon" | null;

/** Overdue: the deadline has passed; due soon: today or tomorrow. Done tasks are neither. */
export function dueState(task: Pick<Task, "deadline" | "status">, today: string = localISODate()): DueState {
  if (!task.deadline || task.status === "DONE") return null;
  if (task.deadline < today) return "overdue";
  if (task.deadline <= addDays(today, 1)) return "soon";
  return null;
}

export function formatDate(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
