import type { IndexEntry } from "../src/recording/storage.ts";

/**
 * A recording index line for a closed segment `msn` dated `pdt`: 1 s long, starting on a keyframe, of the first
 * init segment, no reconnect joint before it, 1000 bytes; `o` changes any of that.
 */
export function indexEntry(msn: number, pdt: number, o: Partial<IndexEntry> = {}): IndexEntry {
  return { msn, initSeq: 0, pdt, duration: 1, discontinuity: false, independent: true, bytes: 1000, ...o };
}
