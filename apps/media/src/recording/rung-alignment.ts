import type { IndexEntry } from "./storage.ts";

/**
 * Every rung of a recording starts at the same moment. Rungs come out of one ffmpeg, but each records from its
 * own first closed segment, and on a busy node one rung's first segment can close a whole segment before the
 * others': a VOD whose rungs start a segment apart makes a player that switches rungs jump, and dates the video
 * from a moment most rungs do not have. The common start is the latest first program date-time of any rung;
 * each rung drops its leading segments whose middle lies before it (the same middle rule clips are cut by).
 */

/** The latest first program date-time (ms) over the rungs that have a segment; null when none has. */
export function commonStart(rungs: Iterable<readonly IndexEntry[]>): number | null {
  let start: number | null = null;
  for (const entries of rungs) {
    const first = entries[0];
    if (first) start = start === null ? first.pdt : Math.max(start, first.pdt);
  }
  return start;
}

/** `entries` without the leading segments whose middle lies before `start`. */
export function fromStart(entries: readonly IndexEntry[], start: number | null): IndexEntry[] {
  if (start === null) return [...entries];
  let skip = 0;
  while (skip < entries.length && middle(entries[skip] as IndexEntry) < start) skip += 1;
  return entries.slice(skip);
}

/** Every rung trimmed to the common start, in the given order. */
export function aligned<K>(rungs: ReadonlyMap<K, readonly IndexEntry[]>): Map<K, IndexEntry[]> {
  const start = commonStart(rungs.values());
  return new Map([...rungs].map(([k, entries]) => [k, fromStart(entries, start)]));
}

function middle(e: IndexEntry): number {
  return e.pdt + e.duration * 500;
}
