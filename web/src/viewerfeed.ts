// The viewer's own feed (viewerEvents): the boards list follows membership live
// (added to a board, removed, a board renamed or deleted, an invitation). Every
// event, SUBSCRIBED included (sent after each (re)connect), means "reload the list":
// the list is small and the server's answer is the truth.

import { createClient, type ExecutionResult, type Sink } from "graphql-ws";
import { isPersistedQueryNotFound, persistedQuery, session } from "./api";
import { WS_URL } from "./config";
import { VIEWER_EVENTS } from "./queries";

export interface ViewerEvent {
  kind: "SUBSCRIBED" | "BOARD_ADDED" | "BOARD_REMOVED" | "BOARD_RENAMED" | "BOARD_DELETED" | "INVITATION_RECEIVED";
  boardId: string | null;
  boardName: string | null;
  role: string | null;
  byName: string | null;
  at: string;
}

export function startViewerFeed(onEvent: (ev: ViewerEvent) => void): () => void {
  let stopped = false;
  const client = createClient({
    url: WS_URL,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => !stopped,
    connectionParams: async () => ({ authorization: `Bearer ${await session.token()}` }),
  });
  const payload: { query: string; extensions?: Record<string, unknown> } = { query: VIEWER_EVENTS };
  let dispose = (): void => undefined;
  const sink: Sink<ExecutionResult<{ viewerEvents: ViewerEvent }>> = {
    next: (msg) => {
      const ev = msg.data?.viewerEvents;
      if (ev && !stopped) onEvent(ev);
    },
    error: (err) => {
      if (!stopped && payload.query === "" && isPersistedQueryNotFound(err)) {
        payload.query = VIEWER_EVENTS; // the server learns the document, as on the board feed
        dispose = client.subscribe(payload, sink);
      }
    },
    complete: () => undefined,
  };
  void persistedQuery(VIEWER_EVENTS)
    .then((p) => {
      if (p) {
        payload.query = "";
        payload.extensions = { persistedQuery: p };
      }
    })
    .catch(() => undefined)
    .finally(() => {
      if (!stopped) dispose = client.subscribe(payload, sink);
    });
  return () => {
    stopped = true;
    dispose();
    void client.dispose();
  };
}
