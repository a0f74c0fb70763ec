import { join } from "node:path";
import { writeAtomic } from "./atomic-write.ts";
import { concatBytes } from "./llhls/concat-bytes.ts";
import type { RenditionPackager } from "./llhls/rendition-packager.ts";
import type { ThumbnailSource } from "./thumbnail.ts";
import { probeFmp4, probeSegment, type RungFormat, RungMeter } from "./variant-probe.ts";

/**
 * One rung's real output as the live stream's bookkeeping sees it, wherever the segments live: bitrate
 * figures, the probed format, the newest segment for the preview, and the end of its playlist.
 */
export interface RungOutput {
  /** Measures segments not seen yet and probes the format once a segment exists. */
  update(): Promise<void>;
  /** Peak segment bitrate seen, bits/s. */
  readonly peak: number;
  /** Mean bitrate over the measured segments, bits/s (0 before any). */
  average(): number;
  /** Resolution, frame rate and CODECS of the real output; null until probed. */
  readonly format: RungFormat | null;
  /** The newest complete segment (decodable on its own), or null. */
  newestSegment(): ThumbnailSource | null;
  /** The stream is over: the variant playlist gets EXT-X-ENDLIST. */
  end(): Promise<void>;
}

/** Segments shorter than this (the runt a restart or the end leaves) say nothing about the bitrate. */
const MIN_MEASURED_SECONDS = 0.5;

/** MPEG-TS segments and the playlist that ffmpeg's HLS muxer writes to disk. */
export class DiskRungOutput implements RungOutput {
  private readonly meter: RungMeter;
  format: RungFormat | null = null;

  constructor(
    private readonly dir: string,
    private readonly ffprobePath: string,
  ) {
    this.meter = new RungMeter(dir);
  }

  get peak(): number {
    return this.meter.peak;
  }

  average(): number {
    return this.meter.average();
  }

  async update(): Promise<void> {
    await this.meter.update();
    if (!this.format && this.meter.firstSegment)
      this.format = await probeSegment(this.ffprobePath, this.meter.firstSegment);
  }

  newestSegment(): ThumbnailSource | null {
    return this.meter.lastSegment ? { path: this.meter.lastSegment } : null;
  }

  async end(): Promise<void> {
    const file = Bun.file(join(this.dir, "index.m3u8"));
    if (!(await file.exists())) return;
    const text = await file.text();
    // omit_endlist keeps a crashing ffmpeg from ending the playlist; the real end is written here.
    if (!text.includes("#EXT-X-ENDLIST"))
      await writeAtomic(file.name ?? "", `${text.trimEnd()}\n#EXT-X-ENDLIST\n`);
  }
}

/** CMAF segments held in memory by Hearth's LL-HLS packager. */
export class PackagerRungOutput implements RungOutput {
  private lastMeasured = -1;
  private bits = 0;
  private seconds = 0;
  peak = 0;
  format: RungFormat | null = null;

  constructor(
    private readonly packager: RenditionPackager,
    private readonly ffprobePath: string,
  ) {}

  average(): number {
    return this.seconds > 0 ? this.bits / this.seconds : 0;
  }

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
    if (seg && "bytes" in seg) this.format = await probeFmp4(this.ffprobePath, seg.bytes, codecs);
  }

  /** Init + the newest complete segment: an fMP4 file any ffmpeg decodes from its first (key)frame. */
  newestSegment(): ThumbnailSource | null {
    for (let i = this.packager.segments.length - 1; i >= 0; i--) {
      const s = this.packager.segments[i];
      const init = s ? this.packager.inits.get(s.initSeq) : undefined;
      if (s?.bytes && init && s.parts[0]?.independent) return { bytes: concatBytes([init.bytes, s.bytes]) };
    }
    return null;
  }

  async end(): Promise<void> {
    this.packager.end();
  }
}
