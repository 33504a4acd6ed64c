import { fromHex, isText, prettyJson, text, toHex, utf8 } from "./bytes.js";
import { sameBytes } from "./change.js";

/** How a value's bytes are shown for editing. */
export type ViewMode = "text" | "json" | "hex";

/** Every view, in tab order (the string editor's). */
export const ALL_VIEWS: readonly ViewMode[] = ["text", "json", "hex"];
/** The views of a container element (lists, hashes, sets, sorted sets). */
export const ELEMENT_VIEWS: readonly ViewMode[] = ["text", "hex"];

/** The label of a view's tab. */
export const viewLabel = (mode: ViewMode): string => (mode === "json" ? "JSON" : mode === "hex" ? "Hex" : "Text");

/** What an editor holds: the text being edited and how to read it back as bytes. */
export interface BytesDraft {
  readonly mode: ViewMode;
  readonly text: string;
}

/** The view bytes open in: hex when they are not printable UTF-8 (so they round-trip), JSON when they are JSON. */
export function viewFor(bytes: Uint8Array, views: readonly ViewMode[] = ALL_VIEWS): ViewMode {
  if (!isText(bytes) && views.includes("hex")) return "hex";
  if (views.includes("json") && prettyJson(text(bytes)) !== null) return "json";
  return "text";
}

/** The text of bytes in a view (JSON pretty-printed when it parses; as text otherwise). */
export function show(bytes: Uint8Array, mode: ViewMode): string {
  if (mode === "hex") return toHex(bytes);
  const t = text(bytes);
  return mode === "json" ? (prettyJson(t) ?? t) : t;
}

/** A draft of bytes in the view that suits them (or in `mode`). */
export function draftOf(
  bytes: Uint8Array,
  views: readonly ViewMode[] = ALL_VIEWS,
  mode = viewFor(bytes, views),
): BytesDraft {
  return { mode, text: show(bytes, mode) };
}

/**
 * The bytes a draft stands for: hex digits decoded, text as UTF-8, JSON validated and saved
 * compact. Throws with a message for the user when the draft does not parse.
 */
export function bytesOf(draft: BytesDraft): Uint8Array {
  if (draft.mode === "hex") return fromHex(draft.text);
  if (draft.mode === "json") {
    if (prettyJson(draft.text) === null) throw new Error("not valid JSON (switch to Text to save it as is)");
    return utf8(JSON.stringify(JSON.parse(draft.text)));
  }
  return utf8(draft.text);
}

/**
 * The draft shown in another view. Leaving hex keeps the bytes exactly when they are text; JSON
 * that does not parse switches as the text typed. Throws when hex digits do not parse.
 */
export function switchView(draft: BytesDraft, mode: ViewMode): BytesDraft {
  if (mode === draft.mode) return draft;
  const bytes = draft.mode === "hex" ? fromHex(draft.text) : utf8(draft.text);
  return { mode, text: show(bytes, mode) };
}

/**
 * The bytes to save for a draft of `original`: `original` itself (the same array) when the draft
 * stands for the same bytes, or, from the JSON view, for the same JSON (so opening a value in the
 * JSON view and saving never reformats it). Edited JSON keeps the original's style: compact when
 * the original was compact, else the text as shown. Throws as {@link bytesOf} does.
 */
export function savedBytes(draft: BytesDraft, original: Uint8Array): Uint8Array {
  if (draft.mode !== "json") {
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
