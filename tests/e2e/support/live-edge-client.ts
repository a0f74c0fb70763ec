/**
 * An LL-HLS client at the live edge, doing what hls.js does there: a blocking reload for the next part and a
 * request for the preload-hinted part, in parallel, round after round. The fan-out benchmarks run many at once.
 */
import type { LlhlsRig } from "../llhls-harness.ts";
import { parseMediaPlaylist, preloadHint } from "./media-playlist.ts";

/** The part to ask for next: its (msn, part index) for a blocking reload, and the preload hint's URI. */
export interface NextPart {
  msn: number;
  part: number;
  hint: string;
}

/** The part after the last EXT-X-PART of a playlist, and the hint's URI; null if the playlist has neither. */
export function nextPart(text: string): NextPart | null {
  const pl = parseMediaPlaylist(text);
  let last: { msn: number; index: number } | null = null;
  for (const s of pl.segments)
    for (const [index, p] of s.parts.entries()) if (!p.hint) last = { msn: s.mediaSequenceNumber, index };
  const hint = preloadHint(pl);
  return last && hint ? { msn: last.msn, part: last.index + 1, hint } : null;
}

/** The rig's "hi" packager, and when each of its parts completed from now on (performance.now(), by part id). */
export function watchPartCompletions(rig: LlhlsRig) {
  const packager = rig.stream.rendition("hi");
  if (!packager) throw new Error("no rung");
  const completed = new Map<number, number>();
  packager.subscribe(() => completed.set(packager.nextPartId - 1, performance.now()));
  return { packager, completed };
}

/** One round at the live edge: the hinted part's id, when both responses were in hand, and their statuses. */
export interface Delivery {
  partId: number;
  at: number;
  playlistStatus: number;
  partStatus: number;
}

/** Follows one rendition at the live edge until `stopAt` (performance.now()), reporting every round. */
export async function followLiveEdge(o: {
  /** The playlist to start from. */
  start: string;
  /** The rendition's base URL: the blocking reloads and parts are requested under it. */
  base: string;
  stopAt: number;
  onDelivery(d: Delivery): void;
}): Promise<void> {
  let text = await (await fetch(o.start)).text();
  while (performance.now() < o.stopAt) {
    const next = nextPart(text);
    if (!next) break;
    const partId = Number(/part-e2e-(\d+)\.m4s/.exec(next.hint)?.[1]);
    const [pl, part] = await Promise.all([
      fetch(`${o.base}/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.part}`),
      fetch(`${o.base}/${next.hint}`),
    ]);
    const at = performance.now();
    await part.arrayBuffer();
    text = await pl.text();
    o.onDelivery({ partId, at, playlistStatus: pl.status, partStatus: part.status });
  }
}
