import { type FragmentTiming, parseFragment } from "./cmaf-fragment.ts";
import { type InitInfo, parseInit } from "./cmaf-init.ts";
import { concatBytes } from "./concat-bytes.ts";
import { Mp4FormatError, readBoxHeader } from "./mp4-box.ts";

/** The init segment of one input: bytes to serve as EXT-X-MAP, and its parsed tracks. */
export interface InitSegment {
  bytes: Uint8Array;
  info: InitInfo;
}

/** One fragment (moof + mdat, with any styp/prft/emsg before it): one LL-HLS part. */
export interface Fragment extends FragmentTiming {
  bytes: Uint8Array;
}

export interface BoxReaderEvents {
  onInit(init: InitSegment): void;
  onFragment(fragment: Fragment): void;
}

/** Boxes kept with the moof that follows them (they belong to that fragment). */
const PREFIX_BOXES = new Set(["styp", "sidx", "prft", "emsg"]);
/** Boxes that carry nothing a live player needs (mfra is written when ffmpeg closes the file). */
const IGNORED_BOXES = new Set(["free", "skip", "mfra", "udta"]);

/**
 * Splits a fragmented-MP4 byte stream, as ffmpeg writes it to a pipe, into the init segment and
 * fragments. Chunks may cut boxes anywhere; nothing is emitted until a box is complete.
 */
export class CmafBoxReader {
  private buf: Uint8Array = new Uint8Array(0);
  private init: InitSegment | null = null;
  private pendingInit: Uint8Array[] = [];
  private pendingFragment: Uint8Array[] = [];

  constructor(private readonly events: BoxReaderEvents) {}

  /** Feeds the next chunk of the stream; emits every box it completes. */
  push(chunk: Uint8Array): void {
    this.buf = this.buf.length === 0 ? chunk.slice() : concatBytes([this.buf, chunk]);
    let at = 0;
    for (;;) {
      const box = readBoxHeader(this.buf, at);
      if (!box) break;
      this.onBox(box.type, this.buf.subarray(box.start, box.end));
      at = box.end;
    }
    // Keep only the incomplete tail; copy so the consumed prefix can be collected.
    if (at > 0) this.buf = this.buf.slice(at);
  }

  /** Bytes received that do not yet form a whole box (non-zero at the end means a truncated stream). */
  pendingBytes(): number {
    return this.buf.length + this.pendingFragment.reduce((n, b) => n + b.length, 0);
  }

  private onBox(type: string, bytes: Uint8Array): void {
    if (type === "ftyp") {
      this.pendingInit = [bytes.slice()];
    } else if (type === "moov") {
      const initBytes = concatBytes([...this.pendingInit, bytes]);
      this.pendingInit = [];
      this.init = { bytes: initBytes, info: parseInit(initBytes) };
      this.events.onInit(this.init);
    } else if (type === "moof") {
      this.pendingFragment.push(bytes.slice());
    } else if (type === "mdat") {
      if (!this.init) throw new Mp4FormatError("fragment before the init segment");
      const parts = this.pendingFragment;
      const moofAt = parts.findIndex((p) => readBoxHeader(p, 0)?.type === "moof");
      if (moofAt < 0) throw new Mp4FormatError("mdat without a moof");
      this.pendingFragment = [];
      const timing = parseFragment(concatBytes(parts.slice(moofAt)), this.init.info);
      this.events.onFragment({ ...timing, bytes: concatBytes([...parts, bytes]) });
    } else if (PREFIX_BOXES.has(type)) {
      this.pendingFragment.push(bytes.slice());
    } else if (!IGNORED_BOXES.has(type)) {
      throw new Mp4FormatError(`unexpected top-level box "${type}" in a fragmented MP4 stream`);
    }
  }
}
