/**
 * The chat replay's cursor logic (pure): pages of a broadcast's chat are loaded in server-time order as the
 * playback position needs them, and the messages shown are those sent at or before the position's wall time,
 * so seeking back hides messages again and seeking forward loads the pages in between.
 */

/** What the replay needs of a message (ChatMessage). */
export interface ReplayMessage {
  id: string;
  ts: number;
}

export interface ReplayBuffer<M extends ReplayMessage> {
  /** Everything loaded so far, in server-time order. */
  messages: M[];
  /** The cursor for the next page (ChatReplay.next); null once the range is loaded to its end. */
  next: string | null;
  /** No page has been loaded yet (the first request has no cursor). */
  started: boolean;
}

/** A buffer with nothing loaded. */
export function emptyReplay<M extends ReplayMessage>(): ReplayBuffer<M> {
  return { messages: [], next: null, started: false };
}

/** The buffer after one more page (a message already held, by id, is not added twice). */
export function addPage<M extends ReplayMessage>(
  buf: ReplayBuffer<M>,
  page: { messages: M[]; next: string | null },
): ReplayBuffer<M> {
  const seen = new Set(buf.messages.map((m) => m.id));
  const added = page.messages.filter((m) => !seen.has(m.id));
  const messages = [...buf.messages, ...added];
  // Pages come in order; a sort keeps the buffer right even if a server returned one out of order.
  if (added.length > 0) messages.sort((a, b) => a.ts - b.ts);
  return { messages, next: page.next, started: true };
}

/** How many loaded messages were sent at or before `wallMs` (they are the first ones: the buffer is sorted). */
export function shownCount(messages: readonly ReplayMessage[], wallMs: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((messages[mid] as ReplayMessage).ts <= wallMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Whether another page must be loaded for the position `wallMs`: nothing loaded yet, or the range goes on and
 * the loaded messages do not reach `aheadMs` past the position (so the next messages are there in time).
 */
export function needsPage(buf: ReplayBuffer<ReplayMessage>, wallMs: number, aheadMs: number): boolean {
  if (!buf.started) return true;
  if (buf.next === null) return false;
  const last = buf.messages[buf.messages.length - 1];
  return last === undefined || last.ts <= wallMs + aheadMs;
}

/** The URL of the page after `next` (the replay URL carries from/to; `after` continues it). */
export function pageUrl(replayUrl: string, next: string | null): string {
  if (next === null) return replayUrl;
  return `${replayUrl}${replayUrl.includes("?") ? "&" : "?"}after=${encodeURIComponent(next)}`;
}

/**
 * The URL that asks again for what a still-recording broadcast's chat has gained: the same range from the last
 * loaded message's time on (that message comes again; addPage drops it by id).
 */
export function resumeUrl(replayUrl: string, messages: readonly ReplayMessage[]): string {
  const last = messages[messages.length - 1];
  if (!last) return replayUrl;
  const url = new URL(replayUrl);
  url.searchParams.set("from", String(last.ts));
  url.searchParams.delete("after");
  return url.toString();
}
