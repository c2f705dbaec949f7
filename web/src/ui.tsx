// Small shared pieces: a modal dialog and message banners.

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const d = ref.current;
    if (d && !d.open) {
      // showModal traps focus, makes the page behind inert and closes on Escape.
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
    }
    return () => {
      // Back to where the user was (if it is still there).
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? "modal wide" : "modal"}
      aria-labelledby="modal-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <div class="modal-head">
        <h2 id="modal-title">{props.title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

export function ErrorBanner(props: { message: string | null; onDismiss?: () => void }) {
  if (!props.message) return null;
  return (
    <div class="banner error" role="alert">
      <span>{props.message}</span>
      {props.onDismiss && (
        <button type="button" class="icon" aria-label="Dismiss message" onClick={props.onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}
