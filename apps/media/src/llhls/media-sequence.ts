/**
 * Where a new session's media sequence starts. Under one playlist URL the sequence must never go back: not
 * after a reconnect past the grace (a new session), a media-node restart or a move to another node. Nothing
 * is stored between sessions, so the start is derived from the wall clock: two media sequence numbers per
 * target duration since 1970. A session advances by one per segment, and a segment is at least 85 % of the
 * target unless an input ends early (see rendition-packager.ts), so the clock outruns any session and the
 * next one starts above where the last one stopped. See README.md, "Media sequence numbers".
 */
export function firstMediaSequence(epochMs: number, targetDurationSeconds: number): number {
  return Math.floor(epochMs / (targetDurationSeconds * 500));
}
