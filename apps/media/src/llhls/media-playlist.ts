import type { RenditionPackager, Segment } from "./rendition-packager.ts";
import { initName, partName, segmentName } from "./resource-names.ts";

/** Another rendition of the same stream, for EXT-X-RENDITION-REPORT. */
export interface RenditionReport {
  /** Relative to the playlist that carries the report, e.g. "../360p/index.m3u8". */
  uri: string;
  lastMsn: number;
  lastPart: number;
}

export interface RenderOptions {
  sessionTag: string;
  /** `_HLS_skip=YES`: replace the segments older than CAN-SKIP-UNTIL with EXT-X-SKIP (a delta update). */
  skip: boolean;
  reports: RenditionReport[];
}

/** CAN-SKIP-UNTIL in target durations: the spec's minimum is six. */
export const SKIP_TARGETS = 6;
/** PART-HOLD-BACK in part targets: the spec requires at least two and recommends three. */
export const HOLD_BACK_PARTS = 3;

const fixed = (n: number) => n.toFixed(5);

/** How many leading complete segments a delta update may skip: those starting more than `until` s before the end. */
function skippable(segments: readonly Segment[], until: number): number {
  // Only complete segments count: the open one's parts are not a segment a legacy client could load.
  let fromEnd = segments.reduce((t, s) => t + (s.bytes ? s.duration : 0), 0);
  let n = 0;
  for (const s of segments) {
    // A skipped EXT-X-DISCONTINUITY would shift the discontinuity count of every segment after it.
    if (fromEnd <= until || !s.bytes || s.hasParts || s.discontinuity) break;
    fromEnd -= s.duration;
    n += 1;
  }
  // The first listed segment then opens with its EXT-X-MAP, so nothing skipped is needed to decode it.
  return n;
}

/**
 * Renders a variant playlist (RFC 8216bis, version 9): valid standard HLS for players that ignore the
 * LL-HLS tags, with parts for the last few segments, the preload hint and rendition reports.
 */
export function renderMediaPlaylist(p: RenditionPackager, o: RenderOptions): string {
  const { targetDuration, partTarget } = p.o;
  const segs = p.segments;
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:9",
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${fixed(targetDuration * SKIP_TARGETS)},PART-HOLD-BACK=${fixed(partTarget * HOLD_BACK_PARTS)}`,
    `#EXT-X-PART-INF:PART-TARGET=${fixed(partTarget)}`,
    `#EXT-X-MEDIA-SEQUENCE:${segs[0]?.msn ?? 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`,
  ];
  // Only true while every listed segment starts with a keyframe (a segment cut without one, to keep
  // EXTINF within TARGETDURATION, drops the tag until it leaves the window).
  if (segs.length > 0 && segs.every((s) => s.parts[0]?.independent === true))
    lines.push("#EXT-X-INDEPENDENT-SEGMENTS");
  const skipped = o.skip ? skippable(segs, targetDuration * SKIP_TARGETS) : 0;
  if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  let mapSeq = -1;
  for (const s of segs.slice(skipped)) {
    if (s.discontinuity) lines.push("#EXT-X-DISCONTINUITY");
    if (s.initSeq !== mapSeq) {
      lines.push(`#EXT-X-MAP:URI="${initName(o.sessionTag, s.initSeq)}"`);
      mapSeq = s.initSeq;
    }
    // The open segment gets its date once complete; clients date its parts from the previous segment.
    if (s.bytes) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
    if (s.hasParts) {
      for (const part of s.parts) {
        const attrs = [`DURATION=${fixed(part.duration)}`, `URI="${partName(o.sessionTag, part.id)}"`];
        if (part.independent) attrs.push("INDEPENDENT=YES");
        lines.push(`#EXT-X-PART:${attrs.join(",")}`);
      }
    }
    if (s.bytes) lines.push(`#EXTINF:${fixed(s.duration)},`, segmentName(o.sessionTag, s.msn));
  }
  if (!p.ended && p.currentInitSeq >= 0) {
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partName(o.sessionTag, p.nextPartId)}"`);
  }
  for (const r of o.reports) {
    lines.push(`#EXT-X-RENDITION-REPORT:URI="${r.uri}",LAST-MSN=${r.lastMsn},LAST-PART=${r.lastPart}`);
  }
  // Last, so the end is where simple clients (and tail checks) look for it; tag order is free in 8216bis.
  if (p.ended) lines.push("#EXT-X-ENDLIST");
  return `${lines.join("\n")}\n`;
}
