// Small shared pieces: a modal dialog and message banners.

import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
  /** A question that needs an answer (role alertdialog). */
  alert?: boolean;
  /** Where focus goes back when what opened the dialog is gone (a menu item, say). */
  returnFocus?: () => HTMLElement | null | undefined;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const returnFocus = useRef(props.returnFocus);
  // A layout effect: modal (and catching Escape) from the first frame it shows.
  useLayoutEffect(() => {
    const active = document.activeElement as HTMLElement | null;
    const opener = active && active !== document.body ? active : null;
    const d = ref.current;
    if (d && !d.open) {
      // showModal traps focus, makes the page behind inert and closes on Escape.
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
    }
    return () => {
      // Back to where the user was (if it is still there), after this render's changes.
      window.setTimeout(() => {
        const back = opener && opener.isConnected ? opener : returnFocus.current?.();
        if (back && back.isConnected) back.focus();
      });
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? "modal wide" : "modal"}
      role={props.alert ? "alertdialog" : undefined}
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
