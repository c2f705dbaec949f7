// The board's live feed: graphql-ws (graphql-transport-ws) with resume.
//
// The server numbers every change of a board (seq 1, 2, 3, ... with no gaps).
// We subscribe with afterSeq = the highest seq applied; the subscribe payload
// object is updated in place as events arrive, so when graphql-ws reconnects
// (dropped network, 1013 "too far behind", 4403 "token expired") it
// re-subscribes from where we are and the server replays what we missed.
// Events at or below the last seq are ignored; a gap means something was lost
// and the board is reloaded.

import { createClient, type Client, type ExecutionResult, type Sink } from "graphql-ws";
import { WS_URL } from "./config";
import { isPersistedQueryNotFound, persistedQuery, session, toApiError, type ApiError } from "./api";
import { BOARD_EVENTS } from "./queries";
import type { BoardEvent } from "./types";

export type LiveState = "connecting" | "live" | "reconnecting" | "offline";

export interface LiveHandlers {
  onEvent(ev: BoardEvent): void;
  onState(state: LiveState): void;
  /** The subscription ended with an error (e.g. NOT_FOUND: removed from the board). */
  onError(err: ApiError): void;
  /** A gap in seq: the caller reloads the board and starts a new feed. */
  onGap(): void;
}

export interface LiveFeed {
  stop(): void;
  /** Close the socket abruptly (tests, and after the browser comes back online). */
  drop(): void;
  readonly lastSeq: number;
}

const SILENCE_MS = 75_000; // the server pings every <60 s

export function startBoardFeed(boardId: string, afterSeq: number, h: LiveHandlers): LiveFeed {
  let stopped = false;
  let lastSeq = afterSeq;
  let everConnected = false;
  let silenceTimer: number | undefined;
  // A persisted operation: the hash and an empty document first (graphql-ws wants a
  // string), the document too once the server says it does not know the hash.
  const payload: {
    query: string;
    variables: { boardId: string; afterSeq: number };
    extensions?: Record<string, unknown>;
  } = {
    query: BOARD_EVENTS,
    variables: { boardId, afterSeq: lastSeq },
  };

  const client: Client = createClient({
    url: WS_URL,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => !stopped,
    retryWait: async (retries) => {
      const ms = Math.min(500 * 2 ** retries, 5_000) + Math.random() * 250;
      await new Promise((r) => setTimeout(r, ms));
    },
    connectionParams: async () => ({ authorization: `Bearer ${await session.token()}` }),
    on: {
      connecting: () => {
        if (!stopped) h.onState(everConnected ? "reconnecting" : "connecting");
      },
      connected: () => {
        everConnected = true;
        armSilence();
        if (!stopped) h.onState("live");
      },
      message: () => armSilence(),
      closed: () => {
        window.clearTimeout(silenceTimer);
        if (!stopped) h.onState(navigator.onLine === false ? "offline" : "reconnecting");
      },
    },
  });

  function armSilence(): void {
    window.clearTimeout(silenceTimer);
    silenceTimer = window.setTimeout(() => client.terminate(), SILENCE_MS);
  }

  const onOnline = (): void => {
    // Back online: do not wait for the next retry, and do not trust a socket
    // that may have died silently meanwhile.
    client.terminate();
  };
  window.addEventListener("online", onOnline);

  let dispose = (): void => undefined;
  const subscribe = (): void => {
    if (!stopped) dispose = client.subscribe<{ boardEvents: BoardEvent }>(payload, sink);
  };
  const sink: Sink<ExecutionResult<{ boardEvents: BoardEvent }>> = {
    next: (msg) => {
      if (stopped) return;
      if (msg.errors && msg.errors.length) {
        h.onError(toApiError(msg.errors[0]));
        return;
      }
      const ev = msg.data?.boardEvents;
      if (!ev) return;
      if (ev.seq <= lastSeq) return; // already applied (replay overlap)
      if (ev.seq > lastSeq + 1) {
        stopped = true;
        h.onGap();
        return;
      }
      lastSeq = ev.seq;
      payload.variables.afterSeq = lastSeq;
      h.onEvent(ev);
    },
    error: (err) => {
      if (stopped) return;
      if (payload.query === "" && isPersistedQueryNotFound(err)) {
        payload.query = BOARD_EVENTS;
        subscribe();
        return;
      }
      h.onState("offline");
      const first = Array.isArray(err) ? err[0] : err;
      if (first && typeof first === "object" && "code" in first && typeof first.code === "number") {
        h.onError(toApiError({ message: `Live updates stopped (${first.code})`, extensions: { code: "INTERNAL_SERVER_ERROR" } }));
      } else {
        h.onError(toApiError(first));
      }
    },
    complete: () => undefined,
  };
  void persistedQuery(BOARD_EVENTS)
    .then((persisted) => {
      if (persisted) {
        payload.query = "";
        payload.extensions = { persistedQuery: persisted };
      }
    })
    .catch(() => undefined)
    .finally(subscribe);

  return {
    stop() {
      stopped = true;
      window.clearTimeout(silenceTimer);
      window.removeEventListener("online", onOnline);
      dispose();
      void client.dispose();
    },
    drop() {
      client.terminate();
    },
    get lastSeq() {
      return lastSeq;
    },
  };
}
