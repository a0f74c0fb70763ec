import { concatBytes } from "./llhls/concat-bytes.ts";
import type { RenditionPackager } from "./llhls/rendition-packager.ts";
import { probeFmp4, type RungFormat } from "./variant-probe.ts";

/** Segments shorter than this (the runt a restart or the end leaves) say nothing about the bitrate. */
const MIN_MEASURED_SECONDS = 0.5;

/**
 * One rung's real output as the live stream's bookkeeping sees it, read from the rung's packager (CMAF
 * segments in memory): bitrate figures, the probed format, the newest segment for the preview, and the end
 * of its playlist.
 */
export class RungOutput {
  private lastMeasured = -1;
  private bits = 0;
  private seconds = 0;
  /** Peak segment bitrate seen, bits/s. */
  peak = 0;
  /** Resolution, frame rate and CODECS of the real output; null until probed. */
  format: RungFormat | null = null;

  constructor(
    private readonly packager: RenditionPackager,
    private readonly ffprobePath: string,
  ) {}

  /** Mean bitrate over the measured segments, bits/s (0 before any). */
  average(): number {
    return this.seconds > 0 ? this.bits / this.seconds : 0;
  }

  /** Measures segments not seen yet and probes the format once a segment exists. */
  async update(): Promise<void> {
    for (const s of this.packager.segments) {
      if (!s.bytes || s.msn <= this.lastMeasured) continue;
      this.lastMeasured = s.msn;
      if (s.duration < MIN_MEASURED_SECONDS) continue;
      const bps = (s.bytes.length * 8) / s.duration;
      this.peak = Math.max(this.peak, bps);
      this.bits += s.bytes.length * 8;
      this.seconds += s.duration;
    }
    if (this.format) return;
    const seg = this.newestSegment();
    const init = this.packager.inits.get(this.packager.currentInitSeq);
    const codecs = init?.info.tracks.map((t) => t.codec).filter((c): c is string => c !== null) ?? [];
    if (seg) this.format = await probeFmp4(this.ffprobePath, seg, codecs);
  }

  /** Init + the newest complete segment: an fMP4 file any ffmpeg decodes from its first (key)frame; or null. */
  newestSegment(): Uint8Array | null {
    for (let i = this.packager.segments.length - 1; i >= 0; i--) {
      const s = this.packager.segments[i];
      const init = s ? this.packager.inits.get(s.initSeq) : undefined;
      if (s?.bytes && init && s.parts[0]?.independent) return concatBytes([init.bytes, s.bytes]);
    }
    return null;
  }

  /** The stream is over: the variant playlist gets EXT-X-ENDLIST and waiting requests are answered. */
  end(): void {
    this.packager.end();
  }
}
