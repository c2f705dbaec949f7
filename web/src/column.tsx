// One status column: its cards in order, the drop marker where a dragged card
// would land, and the drag-over / drop wiring.

import { Card } from "./card";
import { dropIndex } from "./dnd";
import { STATUS_LABEL, type Label, type Task, type TaskStatus } from "./types";

export interface CardActions {
  open(t: Task): void;
  comments(t: Task): void;
  history(t: Task): void;
  move(t: Task, s: TaskStatus, keyboard: boolean): void;
  shift(t: Task, delta: -1 | 1): void;
  dragStart(t: Task): void;
  dragEnd(): void;
  /** A finger on the card's drag handle. */
  handleDown(t: Task, e: PointerEvent): void;
}

export function Column(props: {
  status: TaskStatus;
  cards: Task[];
  labels: Label[];
  filtered: boolean;
  dragging: string | null;
  /** Cards someone else just changed: task id -> their name. */
  changed: Map<string, string>;
  /** Where the dragged card would land among the other cards; null: not over this column. */
  dropAt: number | null;
  onDragOverAt: (index: number) => void;
  onDragOut: () => void;
  onDrop: (e: DragEvent) => void;
  onAdd: () => void;
  actions: CardActions;
}) {
  const { status, cards, dragging, actions: act } = props;
  const others = cards.filter((t) => t.id !== dragging);
  const markerBefore = props.dropAt === null ? null : others[props.dropAt]?.id ?? "end";
  const marker = <li key="drop-marker" class="drop-marker" aria-hidden="true" />;
  return (
    <section
      class={`column${props.dropAt !== null ? " drop" : ""}`}
      data-status={status}
      aria-labelledby={`col-${status}`}
      onDragOver={(e) => {
        if (!dragging) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
        const index = dropIndex((e.currentTarget as HTMLElement).querySelector("ul.cards"), e.clientY, dragging);
        if (props.dropAt !== index) props.onDragOverAt(index);
      }}
      onDragLeave={(e) => {
        if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) props.onDragOut();
      }}
      onDrop={props.onDrop}
    >
      <div class="column-head">
        <h2 id={`col-${status}`}>{STATUS_LABEL[status]}</h2>
        <span class="badge" aria-label={`${cards.length} tasks`}>
          {cards.length}
        </span>
        <button type="button" class="icon" aria-label={`Add task to ${STATUS_LABEL[status]}`} onClick={props.onAdd}>
          +
        </button>
      </div>
      <ul class="cards" aria-labelledby={`col-${status}`}>
        {cards.map((t) => [
          markerBefore === t.id && marker,
          <Card key={t.id} task={t} labels={props.labels} dragging={dragging === t.id}
            changedBy={props.changed.get(t.id)}
            onHandleDown={(e) => act.handleDown(t, e)}
            onOpen={() => act.open(t)}
            onComments={() => act.comments(t)}
            onHistory={() => act.history(t)}
            onMove={(s, kbd) => act.move(t, s, kbd)}
            onShift={(d) => act.shift(t, d)}
            onDragStart={() => act.dragStart(t)}
            onDragEnd={act.dragEnd} />,
        ])}
        {markerBefore === "end" && marker}
      </ul>
      {cards.length === 0 && <p class="empty">{props.filtered ? "No matching tasks" : "No tasks"}</p>}
    </section>
  );
}
