/** A stored recording as the recording suites write it by hand: its meta.json and its index lines. */
import type { IndexEntry, RecordingMeta } from "../src/recording/storage.ts";

/**
 * A recording's meta: `recording` since 2026-11-29 04:00 UTC, of stream abcDEF123_-x on node n1, no rungs yet;
 * `o` changes any of that.
 */
export function recordingMeta(id: string, o: Partial<RecordingMeta> = {}): RecordingMeta {
  return {
    id,
    publicId: "abcDEF123_-x",
    node: "n1",
    session: "s",
    state: "recording",
    createdAt: Date.UTC(2026, 10, 29, 4),
    endedAt: null,
    rungs: [],
    ...o,
  };
}

/**
 * A recording index line for a closed segment `msn` dated `pdt`: 1 s long, starting on a keyframe, of the first
 * init segment, no reconnect joint before it, 1000 bytes; `o` changes any of that.
 */
export function indexEntry(msn: number, pdt: number, o: Partial<IndexEntry> = {}): IndexEntry {
  return { msn, initSeq: 0, pdt, duration: 1, discontinuity: false, independent: true, bytes: 1000, ...o };
}
