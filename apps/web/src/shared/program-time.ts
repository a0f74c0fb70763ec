/**
 * Video time ↔ wall-clock time through EXT-X-PROGRAM-DATE-TIME (pure; used by the players in the browser).
 * Hearth's recordings carry a program date-time on every segment, so each segment maps its own stretch of the
 * player's timeline to the wall clock: a reconnect's gap (a discontinuity the timeline does not show) stays
 * right, which one start date plus an offset would not.
 */

/** What the mapping needs of a segment (hls.js's Fragment has these fields). */
export interface TimedSegment {
  /** Start on the player's timeline, seconds. */
  start: number;
  duration: number;
  /** ms since 1970 of the segment's first frame; null when the playlist gave none. */
  programDateTime: number | null;
}

/** The segment playing at `t`: the last one starting at or before it (the first one before the start). */
function segmentAt(segments: readonly TimedSegment[], t: number): TimedSegment | undefined {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((segments[mid] as TimedSegment).start <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return segments[Math.max(0, found)];
}

/** The wall-clock time (ms) of the frame at player time `t` (seconds); null without segments or dates. */
export function wallTimeAt(segments: readonly TimedSegment[], t: number): number | null {
  const seg = segmentAt(segments, t);
  if (!seg || seg.programDateTime === null) return null;
  return seg.programDateTime + (t - seg.start) * 1000;
}

/**
 * The player time (seconds) showing the wall-clock time `wallMs`: inside the segment that covers it, or the
 * start of the next segment when it falls in a gap; clamped to the timeline's ends. Null without dates.
 */
export function videoTimeAt(segments: readonly TimedSegment[], wallMs: number): number | null {
  const dated = segments.filter((s) => s.programDateTime !== null);
  const first = dated[0];
  const last = dated[dated.length - 1];
  if (!first || !last) return null;
  if (wallMs <= (first.programDateTime as number)) return first.start;
  for (const s of dated) {
    const from = s.programDateTime as number;
    const to = from + s.duration * 1000;
    if (wallMs < from) return s.start; // in a gap before this segment: its first frame
    if (wallMs < to) return s.start + (wallMs - from) / 1000;
  }
  return last.start + last.duration;
}
