/** Reading an HLS master playlist from the outside, as a player would: parsed by hls-parser, not by hand. */
import HLS from "hls-parser";

/** One variant (EXT-X-STREAM-INF) of a master playlist. */
export interface MasterVariant {
  /** The rung, from the variant's URI (`<rung>/index.m3u8`): a player names variants by where they are. */
  rung: string;
  uri: string;
  bandwidth: number;
  averageBandwidth: number | undefined;
  codecs: string | undefined;
  /** `WIDTHxHEIGHT`, as the tag writes it. */
  resolution: string | undefined;
  frameRate: number | undefined;
}

/** Every variant of a master playlist, in order; throws (with the text) on anything that is not one. */
export function masterVariants(text: string): MasterVariant[] {
  const parsed = parsePlaylist(text);
  if (!parsed.isMasterPlaylist) throw new Error(`expected a master playlist\n${text}`);
  return (parsed as HLS.types.MasterPlaylist).variants.map((v) => ({
    rung: v.uri.split("/")[0] ?? v.uri,
    uri: v.uri,
    bandwidth: v.bandwidth,
    averageBandwidth: v.averageBandwidth,
    codecs: v.codecs,
    resolution: v.resolution ? `${v.resolution.width}x${v.resolution.height}` : undefined,
    frameRate: v.frameRate,
  }));
}

/**
 * The variants as attribute maps (`NAME`, `RESOLUTION`, `CODECS`, `FRAME-RATE`, `BANDWIDTH`,
 * `AVERAGE-BANDWIDTH`), for the suites written against tag attributes; parsed by `masterVariants`.
 */
export function variantAttributes(text: string): Array<Record<string, string>> {
  return masterVariants(text).map((v) => {
    const a: Record<string, string> = { NAME: v.rung, BANDWIDTH: String(v.bandwidth) };
    if (v.averageBandwidth !== undefined) a["AVERAGE-BANDWIDTH"] = String(v.averageBandwidth);
    if (v.codecs !== undefined) a.CODECS = v.codecs;
    if (v.resolution !== undefined) a.RESOLUTION = v.resolution;
    if (v.frameRate !== undefined) a["FRAME-RATE"] = v.frameRate.toFixed(3);
    return a;
  });
}

/** hls-parser's parse, lenient (its options are process-wide: strict checks are asked for per call). */
export function parsePlaylist(text: string, strict = false): HLS.types.Playlist {
  HLS.setOptions({ strictMode: strict, silent: true });
  try {
    return HLS.parse(text);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${text}`);
  }
}
