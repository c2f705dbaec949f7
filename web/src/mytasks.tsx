// "My tasks": what is assigned to me on every board, soonest deadline first
// (the API's myTasks), each linking to its board with the task open.

import { useEffect, useState } from "preact/hooks";
import { describeError, gql } from "./api";
import { dueState, formatDate } from "./dates";
import { MY_TASKS } from "./queries";
import { STATUS_LABEL, type TaskStatus } from "./types";
import { ErrorBanner } from "./ui";

interface MyTask {
  id: string;
  title: string;
  status: TaskStatus;
  deadline: string | null;
  board: { id: string; name: string };
}

interface Page {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: MyTask }[];
}

export function MyTasksPage() {
  const [tasks, setTasks] = useState<MyTask[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = "My tasks — Taskboard";
    let cancelled = false;
    (async () => {
      try {
        const all: MyTask[] = [];
        let after: string | null = null;
        do {
          const d: { myTasks: Page } = await gql<{ myTasks: Page }>(MY_TASKS, { after });
          all.push(...d.myTasks.edges.map((e) => e.node));
          after = d.myTasks.pageInfo.hasNextPage ? d.myTasks.pageInfo.endCursor : null;
        } while (after && !cancelled);
        if (!cancelled) setTasks(all);
      } catch (e) {
        if (!cancelled) setError(describeError(e, "load your tasks"));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  const open = tasks?.filter((t) => t.status !== "DONE") ?? [];
  const done = tasks?.filter((t) => t.status === "DONE") ?? [];
  return (
    <div class="page">
      <h1>My tasks</h1>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {tasks === null ? (
        !error && <p role="status">Loading your tasks…</p>
      ) : tasks.length === 0 ? (
        <p>Nothing is assigned to you. Tasks assigned to you on any board show up here.</p>
      ) : (
        <>
          <TaskList title="To do" tasks={open} />
          {done.length > 0 && <TaskList title="Done" tasks={done} />}
        </>
      )}
    </div>
  );
}

function TaskList(props: { title: string; tasks: MyTask[] }) {
  return (
    <section class="my-tasks" aria-label={props.title}>
      <h2>{props.title}</h2>
      <ul class="board-list">
        {props.tasks.map((t) => {
          const due = dueState(t);
          return (
            <li key={t.id}>
              <span>
                <a href={`#/board/${encodeURIComponent(t.board.id)}?task=${encodeURIComponent(t.id)}`}>{t.title}</a>
                <br />
                <span class="muted">
                  {t.board.name} · {STATUS_LABEL[t.status]}
                </span>
              </span>
              {t.deadline && (
                <span class={due ? `due ${due}` : "due"}>
                  {due === "overdue" ? "Overdue: " : "Due "}
                  <time dateTime={t.deadline}>{formatDate(t.deadline)}</time>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
