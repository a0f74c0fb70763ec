/** What the watch page's stats overlay shows, computed from plain numbers (pure; tested without a browser). */

/** Live latency in ms: now minus the program date-time of the frame on screen; null without a date. */
export function liveLatencyMs(now: number, playingDate: Date | null | undefined): number | null {
  if (!playingDate) return null;
  const t = playingDate.getTime();
  return Number.isFinite(t) ? Math.max(0, now - t) : null;
}

/** Seconds of media buffered ahead of `currentTime` in the range that contains it (0 when none does). */
export function bufferAheadSeconds(ranges: Array<[number, number]>, currentTime: number): number {
  for (const [start, end] of ranges) {
    if (currentTime >= start - 0.1 && currentTime <= end) return Math.max(0, end - currentTime);
  }
  return 0;
}

/** "1.23 s" for a latency or buffer; "—" when unknown. */
export function formatSeconds(ms: number | null): string {
  return ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`;
}
