import type { Rung } from "@hearth/contracts";
import { renderMasterPlaylist, type VariantEntry } from "./master-playlist.ts";
import type { RenditionReport } from "./media-playlist.ts";
import { RenditionBitrate } from "./rendition-bitrate.ts";
import { type PackagerOptions, RenditionPackager, SessionClock } from "./rendition-packager.ts";

/** One rung as the master playlist advertises it. */
export interface LlhlsVariant {
  name: string;
  /**
   * BANDWIDTH floor, bits/s, until the rung's own segments say more (an encoded rung's caps plus fMP4
   * overhead; 0 for a copied rung, whose bitrate only its segments tell).
   */
  bandwidth: number;
  width: number;
  height: number;
  frameRate?: number;
  /** Hearth encodes this rung with a keyframe every segment (not a copied rung): see closeAtTarget. */
  fixedGop?: boolean;
}

/**
 * One live stream: a packager per rung, sharing one session clock, and the master playlist over them,
 * derived from what the packagers parsed (init segments: size and codecs; fragments: frame rate;
 * segments: bitrates). Nothing is probed a second time.
 */
export class LlhlsStream {
  private readonly packagers = new Map<string, RenditionPackager>();
  private readonly bitrates = new Map<string, RenditionBitrate>();

  constructor(
    readonly publicId: string,
    /** Unique per live session; part of every file name. Lower-case letters and digits, at most 16. */
    readonly sessionTag: string,
    readonly variants: LlhlsVariant[],
    options: PackagerOptions,
  ) {
    if (!/^[a-z0-9]{1,16}$/.test(sessionTag)) throw new Error("session tag must be 1-16 of [a-z0-9]");
    const clock = options.clock ?? new SessionClock();
    for (const v of variants) {
      const p = new RenditionPackager({ ...options, clock, closeAtTarget: v.fixedGop === true });
      this.packagers.set(v.name, p);
      this.bitrates.set(v.name, new RenditionBitrate(p));
    }
  }

  /** The packager of rung `name`, or undefined. */
  rendition(name: string): RenditionPackager | undefined {
    return this.packagers.get(name);
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

  /** Every rung as the master lists it, from the packagers' current input (planned figures until its init). */
  variantEntries(): VariantEntry[] {
    return this.variants.map((v) => {
      const p = this.packagers.get(v.name) as RenditionPackager;
      const tracks = p.inits.get(p.currentInitSeq)?.info.tracks ?? [];
      const video = tracks.find((t) => t.handler === "vide");
      const bitrate = (this.bitrates.get(v.name) as RenditionBitrate).update();
      const frameRate = p.frameRate ?? v.frameRate;
      return {
        name: v.name,
        bandwidth: Math.max(bitrate.peak, v.bandwidth),
        ...(bitrate.average > 0 ? { averageBandwidth: bitrate.average } : {}),
        width: video?.width || v.width,
        height: video?.height || v.height,
        ...(frameRate ? { frameRate } : {}),
        codecs: tracks.map((t) => t.codec).filter((c): c is string => c !== null),
      };
    });
  }

  /** Renders master.m3u8 (the one master renderer). */
  renderMaster(): string {
    return renderMasterPlaylist(this.variantEntries());
  }

  /** The rungs as reported to the manager. */
  rungs(): Rung[] {
    return this.variantEntries().map((v) => ({
      name: v.name,
      bandwidth: Math.round(v.bandwidth),
      width: v.width,
      height: v.height,
      playlist: `${v.name}/index.m3u8`,
    }));
  }

  /**
   * True once every rung has a complete segment from an input newer than `afterInit` (per rung: its
   * currentInitSeq when the publisher came, -1 for a new session): what a player needs to play.
   */
  playableSince(afterInit: ReadonlyMap<string, number>): boolean {
    for (const [name, p] of this.packagers) {
      const after = afterInit.get(name) ?? -1;
      if (!p.segments.some((s) => s.bytes !== null && s.initSeq > after)) return false;
    }
    return true;
  }

  /** Each rung's current init number (see playableSince). */
  initMarks(): Map<string, number> {
    return new Map([...this.packagers].map(([n, p]) => [n, p.currentInitSeq]));
  }

  /** Every packager (the transcoder writes into them in rung order). */
  renditions(): RenditionPackager[] {
    return this.variants.map((v) => this.packagers.get(v.name) as RenditionPackager);
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
