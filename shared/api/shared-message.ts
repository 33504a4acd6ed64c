/**
 * Messages sent unchanged on many streams at once (a Watch batch reaches every stream with the
 * same filter): a service marks them, and a transport may encode and frame each one once for all
 * its streams instead of once per stream (the Node server's stream lane does). A marked message
 * must never be modified afterwards.
 */
const shared = new WeakSet<object>();

/** Marks `message` as sent unchanged on many streams (see the module comment); returns it. */
export function shareMessage<T extends object>(message: T): T {
  shared.add(message);
  return message;
}

/** Whether `value` was marked with {@link shareMessage}. */
export function isSharedMessage(value: unknown): value is object {
  return typeof value === "object" && value !== null && shared.has(value);
}
