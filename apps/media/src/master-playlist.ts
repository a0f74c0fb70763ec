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

/** Renders master.m3u8: one EXT-X-STREAM-INF per rung, variant playlists at `<name>/index.m3u8`. */
export function renderMasterPlaylist(variants: VariantEntry[]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"];
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

/** A segment listed in a variant playlist. */
export interface ListedSegment {
  uri: string;
  duration: number;
  sequence: number;
}

/** Reads the media sequence and the segments (EXTINF + URI) of a variant playlist. */
export function parseVariantPlaylist(text: string): {
  mediaSequence: number;
  segments: ListedSegment[];
  ended: boolean;
} {
  let mediaSequence = 0;
  let pending: number | null = null;
  const segments: ListedSegment[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) mediaSequence = Number.parseInt(line.slice(22), 10) || 0;
    else if (line.startsWith("#EXTINF:")) pending = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith("#") && pending !== null) {
      segments.push({ uri: line, duration: pending, sequence: mediaSequence + segments.length });
      pending = null;
    }
  }
  return { mediaSequence, segments, ended: text.includes("#EXT-X-ENDLIST") };
}

/**
 * The RFC 6381 string for H.264 from the SPS found in an MPEG-TS segment ("avc1.PPCCLL"), or null.
 * The SPS sits at the start of every keyframe's PES payload, well inside its first TS packet.
 */
export function avcCodecFromTs(bytes: Uint8Array): string | null {
  for (let i = 0; i + 6 < bytes.length; i++) {
    if (bytes[i] !== 0 || bytes[i + 1] !== 0 || bytes[i + 2] !== 1) continue;
    const nal = bytes[i + 3] ?? 0;
    if ((nal & 0x1f) !== 7) continue;
    const hex = [bytes[i + 4], bytes[i + 5], bytes[i + 6]]
      .map((b) => (b ?? 0).toString(16).padStart(2, "0"))
      .join("");
    return `avc1.${hex}`;
  }
  return null;
}

/** The RFC 6381 string for AAC from ffprobe's profile name. */
export function aacCodec(profile: string | undefined): string {
  if (profile === "HE-AAC") return "mp4a.40.5";
  if (profile === "HE-AACv2") return "mp4a.40.29";
  return "mp4a.40.2";
}
