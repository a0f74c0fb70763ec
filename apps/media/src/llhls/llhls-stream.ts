import type { RenditionReport } from "./media-playlist.ts";
import { type PackagerOptions, RenditionPackager } from "./rendition-packager.ts";

/** One rung as the master playlist advertises it. */
export interface LlhlsVariant {
  name: string;
  /** Peak bits/s (BANDWIDTH): the rung's video plus audio bitrate caps. */
  bandwidth: number;
  width: number;
  height: number;
  frameRate?: number;
  /** Hearth encodes this rung with a keyframe every segment (not a copied rung): see closeAtTarget. */
  fixedGop?: boolean;
}

/** One live stream: a packager per rung, and the master playlist over them. */
export class LlhlsStream {
  private readonly packagers = new Map<string, RenditionPackager>();
  /** A master playlist measured from the real output (bitrates, probed format), served instead of the nominal one. */
  measuredMaster: string | null = null;

  constructor(
    readonly publicId: string,
    /** Unique per live session; part of every file name. Lower-case letters and digits, at most 16. */
    readonly sessionTag: string,
    readonly variants: LlhlsVariant[],
    options: PackagerOptions,
  ) {
    if (!/^[a-z0-9]{1,16}$/.test(sessionTag)) throw new Error("session tag must be 1-16 of [a-z0-9]");
    for (const v of variants)
      this.packagers.set(v.name, new RenditionPackager({ ...options, closeAtTarget: v.fixedGop === true }));
  }

  /** The packager of rung `name`, or undefined. */
  rendition(name: string): RenditionPackager | undefined {
    return this.packagers.get(name);
  }

  /**
   * A rung goes away (the stream was made cheaper): it is served no more, so a player on it gets 404 and moves
   * to another rung. Not ended: an ENDLIST would make the player play it out and stop.
   */
  dropRendition(name: string): void {
    this.packagers.delete(name);
  }

  /** EXT-X-RENDITION-REPORT entries for every rung except `name`. */
  reportsFor(name: string): RenditionReport[] {
    const out: RenditionReport[] = [];
    for (const [other, p] of this.packagers) {
      if (other === name) continue;
      const last = p.lastPart();
      if (last) out.push({ uri: `../${other}/index.m3u8`, lastMsn: last.msn, lastPart: last.index });
    }
    return out;
  }

  /** Renders master.m3u8, with CODECS read from each rung's current init segment. */
  renderMaster(): string {
    if (this.measuredMaster) return this.measuredMaster;
    const lines = ["#EXTM3U", "#EXT-X-VERSION:9"];
    for (const v of this.variants) {
      const p = this.packagers.get(v.name);
      if (!p) continue;
      const init = p ? p.inits.get(p.currentInitSeq) : undefined;
      const codecs = init?.info.tracks.map((t) => t.codec).filter((c): c is string => c !== null) ?? [];
      const attrs = [`BANDWIDTH=${Math.round(v.bandwidth)}`, `RESOLUTION=${v.width}x${v.height}`];
      if (codecs.length > 0) attrs.push(`CODECS="${codecs.join(",")}"`);
      if (v.frameRate) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
      lines.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, `${v.name}/index.m3u8`);
    }
    return `${lines.join("\n")}\n`;
  }

  /** The stream is over: every playlist ends and waiting requests are answered. */
  end(): void {
    for (const p of this.packagers.values()) p.end();
  }
}

/** The live streams this node packages, by public id (what the routes look up). */
export class LlhlsRegistry {
  private readonly streams = new Map<string, LlhlsStream>();

  /** Registers a stream (replacing and ending any previous one with the same id). */
  add(stream: LlhlsStream): LlhlsStream {
    this.streams.get(stream.publicId)?.end();
    this.streams.set(stream.publicId, stream);
    return stream;
  }

  get(publicId: string): LlhlsStream | undefined {
    return this.streams.get(publicId);
  }

  /** Ends and forgets a stream. */
  remove(publicId: string): void {
    this.streams.get(publicId)?.end();
    this.streams.delete(publicId);
  }
}
