import { useState } from "preact/hooks";
import { type BytesDraft, type FieldKind, switchView, type ViewMode, viewLabel } from "../model/bytes-draft.js";
import { VirtualText } from "./virtual-text.js";

/** Props of {@link BytesField}. */
export interface BytesFieldProps {
  /** The accessible name of the text box ("Value", "New Element", "Add: value", …). */
  readonly label: string;
  readonly draft: BytesDraft;
  readonly onDraft: (draft: BytesDraft) => void;
  /** The view tabs offered; one view shows no tabs. */
  readonly views: readonly ViewMode[];
  /** A text area (a string's value, an element with line breaks) rather than a one-line input. */
  readonly multiline?: boolean;
  readonly readOnly?: boolean;
  readonly placeholder?: string;
  /** Called with the message when a view switch fails (hex that does not parse). */
  readonly onError: (message: string) => void;
  /**
   * Above this many characters, a text area shows the text read-only, a screen at a time, until
   * the user asks for a text box (laying out a huge text box blocks the page). Default 100,000.
   */
  readonly virtualAbove?: number;
  /** Called on Enter in a one-line input. */
  readonly onEnter?: () => void;
}

/**
 * Bytes edited as text, JSON or hex, with a tab per view: the one value editor of the console
 * (string values and container elements alike), so binary values round-trip exactly in hex.
 */
export function BytesField(props: BytesFieldProps) {
  const { draft } = props;
  const field: FieldKind = props.multiline ? "area" : "line";
  // A view that cannot show the bytes exactly is read-only: what is saved is the bytes, never the lossy text.
  const readOnly = props.readOnly || draft.lossy !== undefined;
  const [boxed, setBoxed] = useState(false);
  const virtual = props.multiline && !boxed && draft.text.length > (props.virtualAbove ?? 100_000);
  const switchTo = (mode: ViewMode) => {
    try {
      props.onDraft(switchView(draft, mode, field));
    } catch (e) {
      props.onError((e as Error).message);
    }
  };
  const onInput = (e: Event) =>
    props.onDraft({ mode: draft.mode, text: (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value });
  return (
    <div class={props.multiline ? "bytes-field" : "bytes-field inline"} data-view={draft.mode}>
      {props.views.length > 1 && (
        <div class="tabs" role="radiogroup" aria-label="View as">
          {props.views.map((m) => (
            <button key={m} type="button" role="radio" aria-checked={draft.mode === m} onClick={() => switchTo(m)}>
              {viewLabel(m)}
            </button>
          ))}
        </div>
      )}
      {draft.lossy && (
        <p class="lossy" role="note">
          Read-only in this view: {draft.lossy.why}. Edit it in Hex.
        </p>
      )}
      {virtual ? (
        <>
          <VirtualText text={draft.text} hex={draft.mode === "hex"} label={props.label} />
          <p class="muted">
            {draft.text.length.toLocaleString("en")} characters, shown a screen at a time.{" "}
            <button type="button" class="link" onClick={() => setBoxed(true)}>
              {readOnly ? "Show in a text box" : "Edit in a text box"}
            </button>{" "}
            (the whole value at once: slow to lay out)
          </p>
        </>
      ) : props.multiline ? (
        <textarea
          aria-label={props.label}
          class="mono"
          readOnly={readOnly}
          value={draft.text}
          spellcheck={false}
          onInput={onInput}
        />
      ) : (
        <input
          aria-label={props.label}
          class={draft.mode === "hex" ? "bytes-input mono" : "bytes-input"}
          readOnly={readOnly}
          placeholder={props.placeholder}
          value={draft.text}
          spellcheck={false}
          onInput={onInput}
          onKeyDown={(e) => {
            if (e.key === "Enter" && props.onEnter) {
              e.preventDefault();
              props.onEnter();
            }
          }}
        />
      )}
    </div>
  );
}
