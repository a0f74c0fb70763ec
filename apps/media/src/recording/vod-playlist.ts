import { renderMasterPlaylist, type VariantEntry } from "../llhls/master-playlist.ts";
import { type IndexEntry, mediaName, type StoredRung } from "./storage.ts";

/** Segments shorter than this (the runt a joint leaves) say nothing about the bitrate. */
const MIN_MEASURED_SECONDS = 0.5;

const fixed = (n: number) => n.toFixed(5);

/**
 * A recording's (or clip's) variant playlist from its index: EXT-X-PLAYLIST-TYPE:EVENT while it grows (a
 * player may seek anywhere in it; it only ever gains segments), VOD + EXT-X-ENDLIST once finished. Every
 * segment carries its program date-time (the chat replay maps video time to wall time with it), a joint
 * (a reconnect, a restarted ffmpeg: a new init, new timestamps) gets EXT-X-DISCONTINUITY and a new EXT-X-MAP.
 */
export function renderRecordingPlaylist(entries: readonly IndexEntry[], finished: boolean): string {
  // EXTINF rounded to the nearest integer must not exceed the target (RFC 8216 4.3.3.1).
  const target = Math.max(1, ...entries.map((e) => Math.round(e.duration)));
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:6",
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-PLAYLIST-TYPE:${finished ? "VOD" : "EVENT"}`,
    `#EXT-X-MEDIA-SEQUENCE:${entries[0]?.msn ?? 0}`,
  ];
  if (entries.length > 0 && entries.every((e) => e.independent)) lines.push("#EXT-X-INDEPENDENT-SEGMENTS");
  let mapSeq = -1;
  for (const [i, e] of entries.entries()) {
    // A segment after a new init is after a joint even if the packager did not flag it (a rung that missed
    // the previous input): its timestamps start over.
    if (i > 0 && (e.discontinuity || e.initSeq !== mapSeq)) lines.push("#EXT-X-DISCONTINUITY");
    if (e.initSeq !== mapSeq) {
      lines.push(`#EXT-X-MAP:URI="${mediaName({ kind: "init", seq: e.initSeq })}"`);
      mapSeq = e.initSeq;
    }
    lines.push(
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(e.pdt).toISOString()}`,
      `#EXTINF:${fixed(e.duration)},`,
      mediaName({ kind: "segment", msn: e.msn }),
    );
  }
  if (finished) lines.push("#EXT-X-ENDLIST");
  return `${lines.join("\n")}\n`;
}

/**
 * The master over the stored rungs with the live master's attributes: RESOLUTION, FRAME-RATE and CODECS as the
 * packager parsed them, BANDWIDTH the peak segment bitrate and AVERAGE-BANDWIDTH the mean, measured from the
 * index. A rung without segments is left out.
 */
export function renderRecordingMaster(
  rungs: readonly { rung: StoredRung; entries: readonly IndexEntry[] }[],
): string {
  const variants: VariantEntry[] = [];
  for (const { rung, entries } of rungs) {
    if (entries.length === 0) continue;
    const measured = entries.filter((e) => e.duration >= MIN_MEASURED_SECONDS);
    const use = measured.length > 0 ? measured : entries;
    const peak = Math.max(...use.map((e) => (e.bytes * 8) / Math.max(e.duration, 0.001)));
    const seconds = use.reduce((t, e) => t + e.duration, 0);
    const bits = use.reduce((t, e) => t + e.bytes * 8, 0);
    variants.push({
      name: rung.name,
      bandwidth: peak,
      ...(seconds > 0 ? { averageBandwidth: bits / seconds } : {}),
      width: rung.width,
      height: rung.height,
      ...(rung.frameRate ? { frameRate: rung.frameRate } : {}),
      codecs: rung.codecs,
    });
  }
  return renderMasterPlaylist(variants);
}

/** Seconds of media in an index (gaps of a reconnect not counted). */
export function indexSeconds(entries: readonly IndexEntry[]): number {
  return entries.reduce((t, e) => t + e.duration, 0);
}
