/** One ISO-BMFF box located inside a byte array: its type and where its header and payload lie. */
export interface Box {
  type: string;
  /** Offset of the box's first byte (its size field). */
  start: number;
  /** Offset of the first payload byte (after size, type and any 64-bit size). */
  payload: number;
  /** Offset one past the box's last byte. */
  end: number;
}

/** Thrown for bytes that are not the fragmented MP4 Hearth expects. */
export class Mp4FormatError extends Error {
  override name = "Mp4FormatError";
}

const ascii = new TextDecoder("latin1");

/**
 * Reads the box header at `offset`; null when fewer bytes than the whole box are available yet
 * (streaming callers wait for more). Size 0 ("to end of file") cannot be framed in a live stream.
 */
export function readBoxHeader(bytes: Uint8Array, offset: number, limit = bytes.length): Box | null {
  if (limit - offset < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size = view.getUint32(offset);
  const type = ascii.decode(bytes.subarray(offset + 4, offset + 8));
  let payload = offset + 8;
  if (size === 1) {
    if (limit - offset < 16) return null;
    const big = view.getBigUint64(offset + 8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4FormatError(`box ${type} is too large`);
    size = Number(big);
    payload = offset + 16;
  } else if (size === 0) {
    throw new Mp4FormatError(`box ${type} has size 0 (extends to end of file): not a live fragmented stream`);
  }
  if (size < payload - offset) throw new Mp4FormatError(`box ${type} has an impossible size ${size}`);
  if (limit - offset < size) return null;
  return { type, start: offset, payload, end: offset + size };
}

/** The boxes directly inside `[from, to)`; throws if a child overruns its parent. */
export function childBoxes(bytes: Uint8Array, from: number, to: number): Box[] {
  const out: Box[] = [];
  let at = from;
  while (at < to) {
    const box = readBoxHeader(bytes, at, to);
    if (!box) throw new Mp4FormatError(`truncated box at offset ${at}`);
    out.push(box);
    at = box.end;
  }
  return out;
}

/** The first child of `parent` with the given type, or undefined. */
export function findChild(bytes: Uint8Array, parent: Box, type: string): Box | undefined {
  return childBoxes(bytes, parent.payload, parent.end).find((b) => b.type === type);
}

/** Follows a path of box types from `parent` (e.g. ["mdia", "mdhd"]); undefined when any step is missing. */
export function findPath(bytes: Uint8Array, parent: Box, path: string[]): Box | undefined {
  let cur: Box | undefined = parent;
  for (const type of path) {
    if (!cur) return undefined;
    cur = findChild(bytes, cur, type);
  }
  return cur;
}

/** Big-endian field reader over a byte array (full-box version/flags live in the first word). */
export class FieldReader {
  private readonly view: DataView;
  constructor(
    bytes: Uint8Array,
    public at: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(): number {
    const v = this.view.getUint8(this.at);
    this.at += 1;
    return v;
  }
  u16(): number {
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.at);
    this.at += 4;
    return v;
  }
  u64(): number {
    const v = this.view.getBigUint64(this.at);
    this.at += 8;
    return Number(v);
  }
  skip(n: number): void {
    this.at += n;
  }
  /** A full box's version (high byte) and 24-bit flags. */
  versionFlags(): { version: number; flags: number } {
    const w = this.u32();
    return { version: w >>> 24, flags: w & 0xffffff };
  }
}
