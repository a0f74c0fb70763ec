/** One variant as it goes into master.m3u8. */
export interface VariantEntry {
  name: string;
  /** Peak segment bitrate, bits/s (what BANDWIDTH means in RFC 8216). */
  bandwidth: number;
  /** Mean bitrate, bits/s; omitted before a segment has been measured. */
  averageBandwidth?: number;
  width: number;
  height: number;
  frameRate?: number;
  /** RFC 6381 codec strings from the init segment, e.g. ["avc1.64001f", "mp4a.40.2"]; empty before it. */
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
    const attrs = [`BANDWIDTH=${Math.round(v.bandwidth)}`];
    if (v.averageBandwidth) attrs.push(`AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`);
    attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (v.frameRate) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    if (v.codecs.length > 0) attrs.push(`CODECS="${v.codecs.join(",")}"`);
    attrs.push(`NAME="${v.name}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, `${v.name}/index.m3u8`);
  }
  return `${lines.join("\n")}\n`;
}
