import { fromHex, isText, isUtf8, prettyJson, text, toHex, utf8 } from "./bytes.js";
import { sameBytes } from "./change.js";

/** How a value's bytes are shown for editing. */
export type ViewMode = "text" | "json" | "hex";

/** Every view, in tab order (the string editor's). */
export const ALL_VIEWS: readonly ViewMode[] = ["text", "json", "hex"];
/** The views of a container element (lists, hashes, sets, sorted sets). */
export const ELEMENT_VIEWS: readonly ViewMode[] = ["text", "hex"];

/** The label of a view's tab. */
export const viewLabel = (mode: ViewMode): string => (mode === "json" ? "JSON" : mode === "hex" ? "Hex" : "Text");

/**
 * Where a draft is edited. A one-line input drops line breaks from what it is given; a text area
 * turns every CR (and CRLF) into LF. Bytes those characters are part of cannot be edited there
 * as text without changing them.
 */
export type FieldKind = "line" | "area";

/** What an editor holds: the text being edited and how to read it back as bytes. */
export interface BytesDraft {
  readonly mode: ViewMode;
  readonly text: string;
  /**
   * Set when this view cannot show the bytes exactly (invalid UTF-8 as text, a line break in a
   * one-line field, a CR in a text area): the exact bytes, and why. Such a draft is read-only and
   * stands for these bytes, never for the lossy text shown, so it is never saved altered.
   */
  readonly lossy?: { readonly bytes: Uint8Array; readonly why: string };
}

/** Why `bytes` cannot be edited exactly in `mode` in a `field`, or null when they can. */
export function lossOf(bytes: Uint8Array, mode: ViewMode, field: FieldKind): string | null {
  if (mode === "hex") return null;
  if (!isUtf8(bytes)) return "the value is not valid UTF-8 (bytes it cannot show appear as \ufffd)";
  if (mode !== "text") return null;
  if (field === "line" && (bytes.includes(0x0a) || bytes.includes(0x0d)))
    return "the value has line breaks, which a one-line field cannot show";
  if (field === "area" && bytes.includes(0x0d))
    return "the value has carriage returns (CR), which a text box turns into LF";
  return null;
}

/**
 * The view bytes open in: hex when they are not printable UTF-8 or the text view would change
 * them (so they round-trip), JSON when they are JSON.
 */
export function viewFor(
  bytes: Uint8Array,
  views: readonly ViewMode[] = ALL_VIEWS,
  field: FieldKind = "area",
): ViewMode {
  if (views.includes("hex") && (!isText(bytes) || lossOf(bytes, "text", field) !== null)) return "hex";
  if (views.includes("json") && prettyJson(text(bytes)) !== null) return "json";
  return "text";
}

/** The text of bytes in a view (JSON pretty-printed when it parses; as text otherwise). */
export function show(bytes: Uint8Array, mode: ViewMode): string {
  if (mode === "hex") return toHex(bytes);
  const t = text(bytes);
  return mode === "json" ? (prettyJson(t) ?? t) : t;
}

/** A draft of bytes in the view that suits them (or in `mode`), lossy when that view cannot show them exactly. */
export function draftOf(
  bytes: Uint8Array,
  views: readonly ViewMode[] = ALL_VIEWS,
  mode?: ViewMode,
  field: FieldKind = "area",
): BytesDraft {
  const m = mode ?? viewFor(bytes, views, field);
  const why = lossOf(bytes, m, field);
  return why === null ? { mode: m, text: show(bytes, m) } : { mode: m, text: show(bytes, m), lossy: { bytes, why } };
}

/**
 * The bytes a draft stands for: a lossy draft's exact bytes, hex digits decoded, text as UTF-8,
 * JSON validated and saved compact. Throws with a message for the user when the draft does not parse.
 */
export function bytesOf(draft: BytesDraft): Uint8Array {
  if (draft.lossy) return draft.lossy.bytes;
  if (draft.mode === "hex") return fromHex(draft.text);
  if (draft.mode === "json") {
    if (prettyJson(draft.text) === null) throw new Error("not valid JSON (switch to Text to save it as is)");
    return utf8(JSON.stringify(JSON.parse(draft.text)));
  }
  return utf8(draft.text);
}

/**
 * The draft shown in another view. The bytes are kept exactly (a lossy view keeps them aside);
 * JSON that does not parse switches as the text typed. Throws when hex digits do not parse.
 */
export function switchView(draft: BytesDraft, mode: ViewMode, field: FieldKind = "area"): BytesDraft {
  if (mode === draft.mode) return draft;
  const bytes = draft.lossy ? draft.lossy.bytes : draft.mode === "hex" ? fromHex(draft.text) : utf8(draft.text);
  return draftOf(bytes, [mode], mode, field);
}

/**
 * The bytes to save for a draft of `original`: `original` itself (the same array) when the draft
 * stands for the same bytes, or, from the JSON view, for the same JSON (so opening a value in the
 * JSON view and saving never reformats it). Edited JSON keeps the original's style: compact when
 * the original was compact, else the text as shown. Throws as {@link bytesOf} does.
 */
export function savedBytes(draft: BytesDraft, original: Uint8Array): Uint8Array {
  if (draft.mode !== "json" || draft.lossy) {
    const bytes = bytesOf(draft);
    return sameBytes(bytes, original) ? original : bytes;
  }
  bytesOf(draft); // validates
  const typed = JSON.parse(draft.text);
  const before = text(original);
  let was: unknown;
  try {
    was = JSON.parse(before);
  } catch {
    return utf8(draft.text);
  }
  if (JSON.stringify(typed) === JSON.stringify(was)) return original;
  const bytes = JSON.stringify(was) === before ? utf8(JSON.stringify(typed)) : utf8(draft.text);
  return sameBytes(bytes, original) ? original : bytes;
}
