import {
  type Box,
  childBoxes,
  FieldReader,
  findChild,
  findPath,
  Mp4FormatError,
  readBoxHeader,
} from "./mp4-box.ts";

/** One track of the init segment, as the fragment parser and the playlists need it. */
export interface TrackInfo {
  id: number;
  /** hdlr type: "vide", "soun", ... */
  handler: string;
  timescale: number;
  /** RFC 6381 codec string ("avc1.64001f", "mp4a.40.2"), or null for codecs Hearth does not name. */
  codec: string | null;
  width: number;
  height: number;
  /** trex defaults, used when a fragment's tfhd/trun leave a field out. */
  defaultSampleDuration: number;
  defaultSampleFlags: number;
}

/** The parsed init segment (ftyp + moov). */
export interface InitInfo {
  tracks: TrackInfo[];
  /** The track whose samples time the parts: the video track when there is one. */
  primaryTrackId: number;
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** avc1.PPCCLL from the avcC record (profile, constraint flags, level). */
function avcCodec(bytes: Uint8Array, sample: Box): string | null {
  // Visual sample entry: 8 bytes of SampleEntry + 70 bytes of VisualSampleEntry fields before child boxes.
  const avcC = childAfter(bytes, sample, 78, "avcC");
  if (!avcC) return null;
  const p = avcC.payload;
  return `${sample.type}.${hex2(bytes[p + 1] ?? 0)}${hex2(bytes[p + 2] ?? 0)}${hex2(bytes[p + 3] ?? 0)}`;
}

/** mp4a.40.N from the esds DecoderSpecificInfo (N = audio object type). */
function aacCodec(bytes: Uint8Array, sample: Box): string | null {
  // Audio sample entry: 8 bytes of SampleEntry + 20 bytes of AudioSampleEntry fields before child boxes.
  const esds = childAfter(bytes, sample, 28, "esds");
  if (!esds) return "mp4a.40.2";
  // Walk the descriptors: ES_Descriptor (3) > DecoderConfigDescriptor (4) > DecoderSpecificInfo (5).
  let at = esds.payload + 4;
  while (at < esds.end) {
    const tag = bytes[at] ?? 0;
    at += 1;
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const b = bytes[at++] ?? 0;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (tag === 3)
      at += 3; // ES_ID (2) + flags (1): ffmpeg writes none of the optional fields
    else if (tag === 4)
      at += 13; // objectType, streamType, bufferSize, maxBitrate, avgBitrate
    else if (tag === 5) return `mp4a.40.${(bytes[at] ?? 0x10) >> 3}`;
    else at += len;
  }
  return "mp4a.40.2";
}

/** A child box of a sample entry, whose own fields take `fixed` bytes before the children begin. */
function childAfter(bytes: Uint8Array, parent: Box, fixed: number, type: string): Box | undefined {
  let at = parent.payload + fixed;
  while (at < parent.end) {
    const b = readBoxHeader(bytes, at, parent.end);
    if (!b) return undefined;
    if (b.type === type) return b;
    at = b.end;
  }
  return undefined;
}

function parseTrak(
  bytes: Uint8Array,
  trak: Box,
): Omit<TrackInfo, "defaultSampleDuration" | "defaultSampleFlags"> {
  const tkhd = findChild(bytes, trak, "tkhd");
  const mdhd = findPath(bytes, trak, ["mdia", "mdhd"]);
  const hdlr = findPath(bytes, trak, ["mdia", "hdlr"]);
  if (!tkhd || !mdhd || !hdlr) throw new Mp4FormatError("trak without tkhd/mdhd/hdlr");
  const t = new FieldReader(bytes, tkhd.payload);
  const tv = t.versionFlags().version;
  t.skip(tv === 1 ? 16 : 8);
  const id = t.u32();
  // tkhd ends with width and height as 16.16 fixed point (the display size, after the pixel aspect ratio).
  const w = new FieldReader(bytes, tkhd.end - 8);
  let width = w.u32() >>> 16;
  let height = w.u32() >>> 16;
  const m = new FieldReader(bytes, mdhd.payload);
  const mv = m.versionFlags().version;
  m.skip(mv === 1 ? 16 : 8);
  const timescale = m.u32();
  const handler = new TextDecoder("latin1").decode(bytes.subarray(hdlr.payload + 8, hdlr.payload + 12));
  let codec: string | null = null;
  const stsd = findPath(bytes, trak, ["mdia", "minf", "stbl", "stsd"]);
  if (stsd) {
    const entry = readBoxHeader(bytes, stsd.payload + 8, stsd.end);
    if (entry && (entry.type === "avc1" || entry.type === "avc3")) {
      codec = avcCodec(bytes, entry);
      // The coded size from the visual sample entry (after reserved 6, data_reference_index 2, pre_defined
      // and reserved 16): what RESOLUTION means. tkhd's display size differs for non-square pixels
      // (854x480 scaled from 1280x720 displays as 853 wide).
      if (entry.payload + 28 <= entry.end) {
        const v = new FieldReader(bytes, entry.payload + 24);
        width = v.u16();
        height = v.u16();
      }
    } else if (entry?.type === "mp4a") codec = aacCodec(bytes, entry);
  }
  return { id, handler, timescale, codec, width, height };
}

/** Parses the moov of an init segment (the bytes of ftyp + moov, or moov alone). */
export function parseInit(bytes: Uint8Array): InitInfo {
  let at = 0;
  let moov: Box | undefined;
  while (at < bytes.length) {
    const b = readBoxHeader(bytes, at);
    if (!b) throw new Mp4FormatError("truncated init segment");
    if (b.type === "moov") moov = b;
    at = b.end;
  }
  if (!moov) throw new Mp4FormatError("init segment has no moov");
  const traks = [];
  const trex = new Map<number, { duration: number; flags: number }>();
  for (const child of childBoxes(bytes, moov.payload, moov.end)) {
    if (child.type === "trak") traks.push(parseTrak(bytes, child));
    if (child.type === "mvex") {
      for (const t of childBoxes(bytes, child.payload, child.end)) {
        if (t.type !== "trex") continue;
        const r = new FieldReader(bytes, t.payload);
        r.versionFlags();
        const id = r.u32();
        r.skip(4); // default_sample_description_index
        const duration = r.u32();
        r.skip(4); // default_sample_size
        trex.set(id, { duration, flags: r.u32() });
      }
    }
  }
  if (traks.length === 0) throw new Mp4FormatError("init segment has no tracks");
  const tracks: TrackInfo[] = traks.map((t) => ({
    ...t,
    defaultSampleDuration: trex.get(t.id)?.duration ?? 0,
    defaultSampleFlags: trex.get(t.id)?.flags ?? 0,
  }));
  const primary = tracks.find((t) => t.handler === "vide") ?? tracks[0];
  return { tracks, primaryTrackId: primary?.id ?? 1 };
}
