import type { LadderConfig } from "@hearth/contracts";

/** What the transcoder knows about the incoming stream before it starts. */
export interface SourceInfo {
  /** "h264", "hevc", ... (lower-case ffmpeg codec names). */
  videoCodec: string;
  width: number;
  height: number;
  fps: number;
  /** null when the publisher sends no audio. */
  audioCodec: string | null;
}

/** One rung as the transcoder will produce it for this particular source. */
export interface PlannedRung {
  name: string;
  width: number;
  height: number;
  /** "copy" passes the publisher's H.264 through untouched (no decode, no encode for this rung). */
  video: { mode: "copy" } | { mode: "encode"; kbps: number; scale: boolean };
  /** null when the source has no audio track. */
  audio: { mode: "copy" } | { mode: "encode"; kbps: number } | null;
}

/** H.264 wants even dimensions for 4:2:0; keep the source's aspect ratio. */
function widthFor(source: SourceInfo, height: number): number {
  const w = Math.round((source.width * height) / source.height / 2) * 2;
  return Math.max(2, w);
}

/**
 * A configured rung this close to the source rung's height (within 10 %) would be a second copy of the source
 * at nearly the same size: the player gains nothing and the node pays a full encode (Twitch's ladder does
 * not have it either: a 720p source is source + 480p + 360p + 160p).
 */
export const NEAR_SOURCE = 0.9;

/**
 * Picks the rungs for a source: the source rung first (copied when it is H.264 and at most
 * `sourceMaxHeight`, re-encoded otherwise), then every configured rung clearly below it (never at or within
 * 10 % of the source rung's height: no upscaling and no near-duplicate of the source).
 */
export function planLadder(ladder: LadderConfig, source: SourceInfo): PlannedRung[] {
  const copy = source.videoCodec === "h264" && source.height <= ladder.sourceMaxHeight;
  const srcHeight = Math.min(source.height - (source.height % 2), ladder.sourceMaxHeight);
  const topAudio = ladder.rungs[0]?.audioKbps ?? 128;
  const rungs: PlannedRung[] = [
    {
      name: "source",
      width: copy ? source.width : widthFor(source, srcHeight),
      height: copy ? source.height : srcHeight,
      video: copy
        ? { mode: "copy" }
        : { mode: "encode", kbps: ladder.sourceKbps, scale: srcHeight !== source.height },
      audio:
        source.audioCodec === null
          ? null
          : source.audioCodec === "aac"
            ? { mode: "copy" }
            : { mode: "encode", kbps: topAudio },
    },
  ];
  const sorted = [...ladder.rungs].sort((a, b) => b.height - a.height);
  for (const r of sorted) {
    if (r.height >= srcHeight * NEAR_SOURCE) continue;
    rungs.push({
      name: r.name,
      width: widthFor(source, r.height),
      height: r.height,
      video: { mode: "encode", kbps: r.videoKbps, scale: true },
      audio: source.audioCodec === null ? null : { mode: "encode", kbps: r.audioKbps },
    });
  }
  return rungs;
}
