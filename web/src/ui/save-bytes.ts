/**
 * Saves bytes as a file download (the browser's own download, no server round trip): named after
 * the key, with characters file systems refuse replaced by `_`.
 */
export function saveBytes(
  bytes: Uint8Array,
  keyName: string,
  extension = "bin",
  type = "application/octet-stream",
): void {
  const name = `${keyName.replace(/[\\/:*?"<>|\u0000-\u001f]/g, "_").slice(0, 120) || "value"}.${extension}`;
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
