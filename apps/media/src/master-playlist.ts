/** One variant as it goes into master.m3u8, every number taken from the real output. */
export interface VariantEntry {
  name: string;
  /** Peak segment bitrate, bits/s (what BANDWIDTH means in RFC 8216). */
  bandwidth: number;
  averageBandwidth: number;
  width: number;
  height: number;
  frameRate: number;
  /** RFC 6381 codec strings, e.g. ["avc1.64001f", "mp4a.40.2"]. */
  codecs: string[];
}

/**
 * Renders master.m3u8: one EXT-X-STREAM-INF per rung, variant playlists at `<name>/index.m3u8`. No
 * EXT-X-INDEPENDENT-SEGMENTS here: in a master it would cover every segment of every rung, and a copied
 * rung's segment cut without a keyframe is not independent; each variant playlist says it for itself.
 */
export function renderMasterPlaylist(variants: VariantEntry[]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:6"];
  for (const v of variants) {
    const attrs = [
      `BANDWIDTH=${Math.round(v.bandwidth)}`,
      `AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`,
      `RESOLUTION=${v.width}x${v.height}`,
      `FRAME-RATE=${v.frameRate.toFixed(3)}`,
      `CODECS="${v.codecs.join(",")}"`,
      `NAME="${v.name}"`,
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, `${v.name}/index.m3u8`);
  }
  return `${lines.join("\n")}\n`;
}
