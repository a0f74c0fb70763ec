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

/** Seconds behind the target after which the player seeks to the live edge instead of speeding up. */
export const JUMP_TO_LIVE_BEHIND_S = 2;

/**
 * Whether the player should seek to the live edge now: it fell behind because of a late join or a stall
 * (not because the viewer paused), by more than hls.js's playback-rate catch-up handles (hls.js speeds up
 * only within one target duration of the target), and media is not known to be missing (the publisher is
 * reconnecting: there is no newer picture to jump to yet).
 */
export function shouldJumpToLive(s: {
  latency: number;
  target: number | null;
  stalled: boolean;
  paused: boolean;
  waiting: boolean;
}): boolean {
  if (s.target === null || !s.stalled || s.paused || s.waiting) return false;
  return s.latency - s.target > JUMP_TO_LIVE_BEHIND_S;
}
