import type { RenditionPackager } from "./rendition-packager.ts";

/** Segments shorter than this (the runt a restart or a joint leaves) say nothing about the bitrate. */
const MIN_MEASURED_SECONDS = 0.5;

/** Peak and mean bitrate of one rendition, measured from the complete segments its packager holds. */
export class RenditionBitrate {
  private lastMeasured = -1;
  private bits = 0;
  private seconds = 0;
  /** Peak segment bitrate seen, bits/s. */
  peak = 0;

  constructor(private readonly packager: RenditionPackager) {}

  /** Mean bitrate over the measured segments, bits/s (0 before any). */
  get average(): number {
    return this.seconds > 0 ? this.bits / this.seconds : 0;
  }

  /** Measures the segments completed since the last call. */
  update(): this {
    for (const s of this.packager.segments) {
      if (!s.bytes || s.msn <= this.lastMeasured) continue;
      this.lastMeasured = s.msn;
      if (s.duration < MIN_MEASURED_SECONDS) continue;
      this.peak = Math.max(this.peak, (s.bytes.length * 8) / s.duration);
      this.bits += s.bytes.length * 8;
      this.seconds += s.duration;
    }
    return this;
  }
}
