import type { Fragment, InitSegment } from "../src/llhls/box-reader.ts";
import type { RenditionPackager } from "../src/llhls/rendition-packager.ts";

/** Test support: a one-track init segment (90 kHz video) for packagers fed synthetic fragments. */
export const SYNTHETIC_INIT: InitSegment = {
  bytes: new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]),
  info: {
    primaryTrackId: 1,
    tracks: [
      {
        id: 1,
        handler: "vide",
        timescale: 90000,
        codec: "avc1.42c00c",
        width: 160,
        height: 90,
        defaultSampleDuration: 0,
        defaultSampleFlags: 0,
      },
    ],
  },
};

/** Test support: feeds `n` fragments of `dur` s (a keyframe every `keyEvery`; 0 for none) from decode time `t0` s. */
export function feedFragments(
  p: RenditionPackager,
  n: number,
  o: { dur?: number; keyEvery?: number; t0?: number } = {},
): void {
  const dur = o.dur ?? 0.2;
  const start = p.nextPartId;
  for (let i = 0; i < n; i++) {
    const f: Fragment = {
      bytes: new Uint8Array([(start + i) & 0xff, 0xaa]),
      decodeTime: Math.round(((o.t0 ?? 0) + i * dur) * 90000),
      duration: Math.round(dur * 90000),
      timescale: 90000,
      keyframe: o.keyEvery === 0 ? false : i % (o.keyEvery ?? 5) === 0,
      sampleCount: 6,
    };
    p.addFragment(f);
  }
}
