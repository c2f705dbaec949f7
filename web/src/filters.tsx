// The board's filter bar. Filtering is local: the board holds every task and
// follows it live, so a filter never needs a round trip (labels match as
// TaskFilter.labelIds does: a task must carry every chosen label).

import { dueState } from "./dates";
import { LabelFilter } from "./labels";
import { STATUSES, STATUS_LABEL, type Board, type Task, type TaskStatus } from "./types";

export interface Filters {
  assignee: string; // "" anyone, "me", "none", or a user id
  status: "" | TaskStatus;
  search: string;
  dueSoon: boolean;
  labels: string[];
}
export const NO_FILTERS: Filters = { assignee: "", status: "", search: "", dueSoon: false, labels: [] };

export function isFiltered(f: Filters): boolean {
  return f !== NO_FILTERS && JSON.stringify(f) !== JSON.stringify(NO_FILTERS);
}

export function matches(f: Filters, meId: string): (t: Task) => boolean {
  const q = f.search.trim().toLowerCase();
  return (t) => {
    if (f.assignee === "me" && t.assignee?.id !== meId) return false;
    if (f.assignee === "none" && t.assignee) return false;
    if (f.assignee && !["me", "none"].includes(f.assignee) && t.assignee?.id !== f.assignee) return false;
    if (f.status && t.status !== f.status) return false;
    if (f.dueSoon && !dueState(t)) return false;
    if (f.labels.length && !f.labels.every((id) => t.labels.some((l) => l.id === id))) return false;
    if (q && !t.title.toLowerCase().includes(q) && !t.description.toLowerCase().includes(q)) return false;
    return true;
  };
}

export function FilterBar(props: { board: Board; filters: Filters; onChange: (f: Filters) => void; shown: number; total: number }) {
  const { board, filters } = props;
  const set = (patch: Partial<Filters>) => props.onChange({ ...filters, ...patch });
  // A deleted label no longer filters.
  const chosen = filters.labels.filter((id) => board.labels.some((l) => l.id === id));
  const filtered = isFiltered(filters);
  return (
    <form class="filters" role="search" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
      <label>
        Search
        <input type="search" value={filters.search} placeholder="Title or description"
          onInput={(e) => set({ search: e.currentTarget.value })} />
      </label>
      <label>
        Assignee
        <select value={filters.assignee} onChange={(e) => set({ assignee: e.currentTarget.value })}>
          <option value="">Anyone</option>
          <option value="me">Assigned to me</option>
          <option value="none">Unassigned</option>
          {board.members.map((m) => (
            <option key={m.user.id} value={m.user.id}>
              {m.user.name} ({m.user.email})
            </option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select value={filters.status} onChange={(e) => set({ status: e.currentTarget.value as Filters["status"] })}>
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </select>
      </label>
      <label class="check">
        <input type="checkbox" checked={filters.dueSoon} onChange={(e) => set({ dueSoon: e.currentTarget.checked })} />
        Due soon or overdue
      </label>
      <LabelFilter labels={board.labels} selected={chosen} onChange={(labels) => set({ labels })} />
      {filtered && (
        <button type="button" onClick={() => props.onChange(NO_FILTERS)}>
          Clear filters
        </button>
      )}
      <p class="count" aria-live="polite">
        {filtered ? `Showing ${props.shown} of ${props.total} tasks` : `${props.total} tasks`}
      </p>
    </form>
  );
}
