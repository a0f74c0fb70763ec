/**
 * The wall-clock time of the frame on screen, published for whatever else on the page follows playback (the
 * chat replay island) and for tests: as `data-wall-ms` on the player element and as a `hearth:playback`
 * event on the document. A DOM event, not shared module state: islands are separate bundles.
 */
import type Hls from "hls.js/dist/hls.light.min.mjs";
import { wallTimeAt } from "../shared/program-time.ts";

/** The document event the players dispatch. */
export const PLAYBACK_EVENT = "hearth:playback";

/** A `hearth:playback` event's detail. */
export interface PlaybackDetail {
  /** ms since 1970 of the frame on screen; null before the playlist's dates are known. */
  wallMs: number | null;
  /** Player time, seconds. */
  time: number;
  paused: boolean;
}

/**
 * The wall time at the player's position: from the playing level's segments (right at once after a seek),
 * else hls.js's playingDate; with native HLS (Safari) from the stream's start date.
 */
export function wallTimeOf(hls: Hls | null, el: HTMLVideoElement): number | null {
  if (hls) {
    const fragments = hls.latestLevelDetails?.fragments;
    const mapped = fragments ? wallTimeAt(fragments, el.currentTime) : null;
    return mapped ?? hls.playingDate?.getTime() ?? null;
  }
  const start = (el as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.().getTime();
  return start !== undefined && Number.isFinite(start) ? start + el.currentTime * 1000 : null;
}

/** Whether `t` is inside one of the ranges (with a little slack: the last frame ends a range). */
function isBuffered(ranges: TimeRanges, t: number): boolean {
  for (let i = 0; i < ranges.length; i++)
    if (t >= ranges.start(i) - 0.1 && t <= ranges.end(i) + 0.1) return true;
  return false;
}

/** Writes the position on `root` and tells the document. */
export function publishPlayback(root: HTMLElement, detail: PlaybackDetail): void {
  root.dataset.wallMs = detail.wallMs === null ? "" : String(Math.round(detail.wallMs));
  root.dataset.time = detail.time.toFixed(3);
  document.dispatchEvent(new CustomEvent<PlaybackDetail>(PLAYBACK_EVENT, { detail }));
}

/**
 * Publishes the position of `el` whenever it moves or stops (timeupdate, seeking, seeked, pause, play) and
 * every 250 ms while playing (timeupdate alone is too coarse for a chat in sync within a second). Returns the
 * stop function.
 */
export function followPlayback(root: HTMLElement, el: HTMLVideoElement, hls: () => Hls | null): () => void {
  const tell = () => {
    // Before the first picture hls.js may not yet have moved to where it starts (a live or rewound playlist
    // starts near its end): a position that is neither buffered nor being sought to is not one to tell.
    if (!el.seeking && !isBuffered(el.buffered, el.currentTime)) return;
    publishPlayback(root, { wallMs: wallTimeOf(hls(), el), time: el.currentTime, paused: el.paused });
  };
  const events = ["timeupdate", "seeking", "seeked", "pause", "play", "loadeddata"];
  for (const e of events) el.addEventListener(e, tell);
  const timer = setInterval(() => {
    if (!el.paused) tell();
  }, 250);
  return () => {
    clearInterval(timer);
    for (const e of events) el.removeEventListener(e, tell);
  };
}
