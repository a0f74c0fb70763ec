import type { InitInfo, TrackInfo } from "./cmaf-init.ts";
import { childBoxes, FieldReader, Mp4FormatError, readBoxHeader } from "./mp4-box.ts";

/** Timing of one fragment (moof + mdat) on the init segment's primary track. */
export interface FragmentTiming {
  /** tfdt baseMediaDecodeTime, in the track's timescale. */
  decodeTime: number;
  /** Sum of the fragment's sample durations, in the track's timescale. */
  duration: number;
  timescale: number;
  /** The fragment's first sample is a sync sample (a keyframe): it can start playback. */
  keyframe: boolean;
  /** Samples of the primary track; 0 when the fragment carries only other tracks. */
  sampleCount: number;
}

// ISO/IEC 14496-12 8.8.3.1: sample_is_non_sync_sample is bit 16 of the sample flags.
const NON_SYNC = 0x10000;

const TFHD_BASE_DATA_OFFSET = 0x1;
const TFHD_SAMPLE_DESCRIPTION = 0x2;
const TFHD_DEFAULT_DURATION = 0x8;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;

const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_FLAGS = 0x4;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_CTO = 0x800;

interface TrafTiming {
  trackId: number;
  decodeTime: number;
  duration: number;
  firstFlags: number | null;
  samples: number;
}

function parseTraf(bytes: Uint8Array, from: number, to: number, tracks: TrackInfo[]): TrafTiming {
  let trackId = 0;
  let defDuration = 0;
  let defFlags = 0;
  let decodeTime = 0;
  let duration = 0;
  let firstFlags: number | null = null;
  let samples = 0;
  for (const box of childBoxes(bytes, from, to)) {
    const r = new FieldReader(bytes, box.payload);
    if (box.type === "tfhd") {
      const { flags } = r.versionFlags();
      trackId = r.u32();
      const track = tracks.find((t) => t.id === trackId);
      defDuration = track?.defaultSampleDuration ?? 0;
      defFlags = track?.defaultSampleFlags ?? 0;
      if (flags & TFHD_BASE_DATA_OFFSET) r.skip(8);
      if (flags & TFHD_SAMPLE_DESCRIPTION) r.skip(4);
      if (flags & TFHD_DEFAULT_DURATION) defDuration = r.u32();
      if (flags & TFHD_DEFAULT_SIZE) r.skip(4);
      if (flags & TFHD_DEFAULT_FLAGS) defFlags = r.u32();
    } else if (box.type === "tfdt") {
      const { version } = r.versionFlags();
      decodeTime = version === 1 ? r.u64() : r.u32();
    } else if (box.type === "trun") {
      const { flags } = r.versionFlags();
      const count = r.u32();
      if (flags & TRUN_DATA_OFFSET) r.skip(4);
      const first = flags & TRUN_FIRST_FLAGS ? r.u32() : null;
      for (let i = 0; i < count; i++) {
        const d = flags & TRUN_DURATION ? r.u32() : defDuration;
        if (flags & TRUN_SIZE) r.skip(4);
        const f = flags & TRUN_FLAGS ? r.u32() : defFlags;
        if (flags & TRUN_CTO) r.skip(4);
        if (samples === 0 && i === 0) firstFlags = first ?? f;
        duration += d;
      }
      samples += count;
    }
  }
  if (firstFlags === null && samples > 0) firstFlags = defFlags;
  return { trackId, decodeTime, duration, firstFlags, samples };
}

/** Reads the timing of a fragment from its moof (the bytes may continue with the mdat). */
export function parseFragment(bytes: Uint8Array, init: InitInfo): FragmentTiming {
  const moof = readBoxHeader(bytes, 0);
  if (moof?.type !== "moof") throw new Mp4FormatError("fragment does not start with a whole moof");
  const trafs = childBoxes(bytes, moof.payload, moof.end)
    .filter((b) => b.type === "traf")
    .map((b) => parseTraf(bytes, b.payload, b.end, init.tracks));
  const primary = trafs.find((t) => t.trackId === init.primaryTrackId);
  const track = init.tracks.find((t) => t.id === init.primaryTrackId);
  if (!track) throw new Mp4FormatError(`init segment has no track ${init.primaryTrackId}`);
  // Only other tracks' samples (audio while video stalls): the packager carries it into the next part.
  if (!primary)
    return { decodeTime: 0, duration: 0, timescale: track.timescale, keyframe: false, sampleCount: 0 };
  return {
    decodeTime: primary.decodeTime,
    duration: primary.duration,
    timescale: track.timescale,
    keyframe: primary.samples > 0 && primary.firstFlags !== null && (primary.firstFlags & NON_SYNC) === 0,
    sampleCount: primary.samples,
  };
}
