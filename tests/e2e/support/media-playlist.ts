/** Reading an HLS media (variant) playlist from the outside, as a player would: parsed by hls-parser. */
import type HLS from "hls-parser";
import { parsePlaylist } from "./master-playlist.ts";

export type MediaPlaylist = HLS.types.MediaPlaylist;

/** Parses a media playlist (lenient: the strict LL-HLS checks are `checkLlhlsPlaylist`'s). */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const parsed = parsePlaylist(text);
  if (parsed.isMasterPlaylist) throw new Error(`expected a media playlist\n${text}`);
  return parsed as MediaPlaylist;
}

/** The complete segments (those with a URI: the open one at the live edge has only parts). */
export function completeSegments(pl: MediaPlaylist): HLS.types.Segment[] {
  return pl.segments.filter((s) => s.uri);
}

/** The media sequence numbers of the complete segments. */
export function sequences(pl: MediaPlaylist): number[] {
  return completeSegments(pl).map((s) => s.mediaSequenceNumber);
}

/** The URI of the preload-hinted part (EXT-X-PRELOAD-HINT TYPE=PART), if the playlist has one. */
export function preloadHint(pl: MediaPlaylist): string | undefined {
  return pl.segments.at(-1)?.parts.find((p) => p.hint)?.uri;
}

/** EXT-X-MEDIA-SEQUENCE: the first listed segment's number. */
export const mediaSequenceBase = (pl: MediaPlaylist): number => pl.mediaSequenceBase ?? 0;

/** The last listed segment's media sequence number. */
export const lastMsn = (pl: MediaPlaylist): number => mediaSequenceBase(pl) + pl.segments.length - 1;
