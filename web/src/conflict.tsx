// The editor's answer to a save that lost to someone else's: their version beside
// the user's edits (kept in the form), and the choice to save again or discard.

import type { Field, Form } from "./editor";
import { FIELD_LABEL, formOf } from "./editor";
import type { Task } from "./types";

export interface Conflict {
  theirs: Task;
  /** Who saved it, by name. */
  by?: string;
  theirChanges: Field[]; // what they changed since the version the user started from
  clashes: Field[]; // fields both changed, differently
}

export function ConflictBanner(props: {
  conflict: Conflict;
  form: Form;
  busy: boolean;
  show: (f: Field, v: Form) => string;
  onDiscard: () => void;
}) {
  const { conflict, form, show } = props;
  return (
    <div class="banner conflict" role="alert" id="conflict">
      <p>
        <strong>{conflict.by ?? "Someone else"} saved a newer version of this task while you were editing.</strong> Your changes
        are not saved yet.
      </p>
      {conflict.theirChanges.length > 0 && (
        <table class="diff">
          <caption>Their version</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Now saved</th>
              <th scope="col">In your form</th>
            </tr>
          </thead>
          <tbody>
            {conflict.theirChanges.map((f) => (
              <tr key={f} class={conflict.clashes.includes(f) ? "clash" : ""}>
                <th scope="row">{FIELD_LABEL[f]}</th>
                <td class="theirs">{show(f, formOf(conflict.theirs))}</td>
                <td>{show(f, form)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        {conflict.clashes.length
          ? "Fields you both changed keep your value in the form. "
          : "Your edits were kept in the form on top of their version. "}
        Save again to apply your version, or discard your edits.
      </p>
      <div class="row">
        <button type="submit" class="primary" disabled={props.busy}>
          Save my version
        </button>
        <button type="button" onClick={props.onDiscard}>
          Discard my edits
        </button>
      </div>
    </div>
  );
}
