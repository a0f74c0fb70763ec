/**
 * A recording's (or clip's) media timeline read from the outside with hls-parser, as hls.js builds it: each
 * segment starts where the previous one ended (playlist time = the video's currentTime in a VOD or EVENT
 * player), and EXT-X-PROGRAM-DATE-TIME maps a position to the wall-clock moment it was broadcast.
 */
import type HLS from "hls-parser";
import type { Page } from "playwright-core";
import { masterVariants } from "./master-playlist.ts";
import { parseMediaPlaylist } from "./media-playlist.ts";

export interface TimelineSegment {
  /** Absolute URL of the media segment. */
  url: string;
  /** Absolute URL of its init segment (EXT-X-MAP). */
  initUrl: string | undefined;
  /** Playlist time (s) where it starts. */
  start: number;
  duration: number;
  /** Its EXT-X-PROGRAM-DATE-TIME in ms since 1970, or undefined when it has none. */
  pdtMs: number | undefined;
  discontinuity: boolean;
}

export interface Timeline {
  rung: string;
  variantUrl: string;
  playlistType: "EVENT" | "VOD" | undefined;
  endlist: boolean;
  targetDuration: number;
  segments: TimelineSegment[];
  /** Sum of the segments' durations (s). */
  duration: number;
  /** The playlist's text, for failure messages. */
  text: string;
}

/** The rung names of a master playlist, in its order. */
export async function masterRungs(masterUrl: string): Promise<Array<{ rung: string; url: string }>> {
  const res = await fetch(masterUrl);
  if (res.status !== 200) throw new Error(`${masterUrl} answered ${res.status}`);
  return masterVariants(await res.text()).map((v) => ({ rung: v.rung, url: new URL(v.uri, masterUrl).href }));
}

/** Loads one media playlist (by URL) as a timeline. */
export async function loadTimeline(variantUrl: string, rung = ""): Promise<Timeline> {
  const res = await fetch(variantUrl);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${variantUrl} answered ${res.status}: ${text.slice(0, 200)}`);
  const pl = parseMediaPlaylist(text);
  let start = 0;
  const segments: TimelineSegment[] = [];
  for (const s of pl.segments as HLS.types.Segment[]) {
    if (!s.uri) continue;
    segments.push({
      url: new URL(s.uri, variantUrl).href,
      initUrl: s.map?.uri ? new URL(s.map.uri, variantUrl).href : undefined,
      start,
      duration: s.duration,
      pdtMs: s.programDateTime?.getTime(),
      discontinuity: Boolean(s.discontinuity),
    });
    start += s.duration;
  }
  return {
    rung,
    variantUrl,
    playlistType: pl.playlistType,
    endlist: pl.endlist,
    targetDuration: pl.targetDuration,
    segments,
    duration: start,
    text,
  };
}

/** Every rung's timeline of a master playlist (VOD, EVENT or clip). */
export async function loadTimelines(masterUrl: string): Promise<Timeline[]> {
  const out: Timeline[] = [];
  for (const v of await masterRungs(masterUrl)) out.push(await loadTimeline(v.url, v.rung));
  return out;
}

/** The wall-clock time (ms) broadcast at playlist time `t`, as hls.js's playingDate computes it. */
export function wallClockAt(tl: Timeline, t: number): number {
  const seg =
    tl.segments.find((s) => t >= s.start && t < s.start + s.duration) ??
    (t >= tl.duration ? tl.segments.at(-1) : tl.segments[0]);
  if (!seg || seg.pdtMs === undefined) throw new Error(`no program date-time at ${t} s in\n${tl.text}`);
  return seg.pdtMs + (t - seg.start) * 1000;
}

/** The playlist time (s) at which wall-clock time `wallMs` was broadcast (the inverse of wallClockAt). */
export function positionAt(tl: Timeline, wallMs: number): number {
  const seg =
    tl.segments.find(
      (s) => s.pdtMs !== undefined && wallMs >= s.pdtMs && wallMs < s.pdtMs + s.duration * 1000,
    ) ?? tl.segments.find((s) => s.pdtMs !== undefined && s.pdtMs > wallMs);
  if (!seg || seg.pdtMs === undefined)
    throw new Error(`${new Date(wallMs).toISOString()} is not in\n${tl.text}`);
  return seg.start + Math.max(0, wallMs - seg.pdtMs) / 1000;
}

/**
 * The timeline of the rung a page's player says it plays (`data-rung` on `player`); all rungs share their program
 * date-times, so the first is the fallback before the player names one.
 */
export async function playingTimeline(page: Page, player: string, timelines: Timeline[]): Promise<Timeline> {
  const rung = await page.evaluate(
    (sel) => document.querySelector<HTMLElement>(sel)?.dataset.rung ?? "",
    player,
  );
  return timelines.find((t) => t.rung === rung) ?? (timelines[0] as Timeline);
}
