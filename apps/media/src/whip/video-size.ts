import { Vp9RtpPayload } from "werift";
import type { CodecChoice } from "./offer.ts";

/**
 * Learns a WebRTC publisher's picture size from its RTP, so the ladder can be planned before ffmpeg
 * starts (RTMP learns it from onMetaData; WebRTC has no such message). H.264: the SPS that browsers send
 * in front of every IDR (RFC 6184 single NAL or STAP-A); VP8: the keyframe header (RFC 6386 9.1);
 * VP9: the scalability structure of the payload descriptor (RFC 9628 4.2.1). Never throws: a packet it
 * cannot read gives undefined.
 */
export interface VideoSize {
  width: number;
  height: number;
}

/** Reads Exp-Golomb coded fields from an RBSP (emulation-prevention bytes already removed). */
class BitReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  bit(): number {
    const byte = this.buf[this.pos >> 3];
    if (byte === undefined) throw new RangeError("SPS truncated");
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) if (++zeros > 31) throw new RangeError("bad Exp-Golomb code");
    return 2 ** zeros - 1 + this.bits(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    // 00 00 03 -> 00 00: the 03 only stops a start code from appearing inside the NAL.
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
    out.push(nal[i] as number);
  }
  return Uint8Array.from(out);
}

/** Profiles whose SPS carries chroma format and scaling lists (H.264 7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** The cropped picture size an H.264 SPS NAL unit (header byte included) describes. */
export function h264SpsSize(nal: Uint8Array): VideoSize | undefined {
  try {
    const r = new BitReader(unescapeRbsp(nal.subarray(1)));
    const profile = r.bits(8);
    r.bits(16); // constraint flags, level_idc
    r.ue(); // seq_parameter_set_id
    let chroma = 1;
    if (HIGH_PROFILES.has(profile)) {
      chroma = r.ue();
      if (chroma === 3) r.bit(); // separate_colour_plane_flag
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.bit(); // qpprime_y_zero_transform_bypass_flag
      if (r.bit()) {
        for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
          if (!r.bit()) continue;
          let last = 8;
          let next = 8;
          for (let j = 0; j < (i < 6 ? 16 : 64) && next !== 0; j++) {
            next = (last + r.se() + 256) % 256;
            last = next === 0 ? last : next;
          }
        }
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.bit();
      r.se();
      r.se();
      const cycle = r.ue();
      if (cycle > 255) return undefined;
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.bit(); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.bit();
    if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
    r.bit(); // direct_8x8_inference_flag
    let crop = { left: 0, right: 0, top: 0, bottom: 0 };
    if (r.bit()) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };
    const cropX = chroma === 0 || chroma === 3 ? 1 : 2;
    const cropY = (chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
    const width = widthMbs * 16 - cropX * (crop.left + crop.right);
    const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (crop.top + crop.bottom);
    return width > 0 && height > 0 && width <= 8192 && height <= 8192 ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

/** The SPS NAL units of one H.264 RTP payload (single NAL unit or STAP-A). */
function h264Sps(payload: Uint8Array): Uint8Array[] {
  const type = (payload[0] ?? 0) & 0x1f;
  if (type === 7) return [payload];
  if (type !== 24) return [];
  const out: Uint8Array[] = [];
  for (let i = 1; i + 2 <= payload.length; ) {
    const size = ((payload[i] ?? 0) << 8) | (payload[i + 1] ?? 0);
    const nal = payload.subarray(i + 2, i + 2 + size);
    if (nal.length < size || size === 0) break;
    if (((nal[0] ?? 0) & 0x1f) === 7) out.push(nal);
    i += 2 + size;
  }
  return out;
}

/** VP8 payload descriptor length (RFC 7741 4.2), or undefined when truncated. */
function vp8DescriptorLength(p: Uint8Array): number | undefined {
  let n = 1;
  const first = p[0] ?? 0;
  if (first & 0x80) {
    const ext = p[n++];
    if (ext === undefined) return undefined;
    if (ext & 0x80) n += (p[n] ?? 0) & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (ext & 0x40) n++; // TL0PICIDX
    if (ext & 0x30) n++; // TID/KEYIDX
  }
  return n <= p.length ? n : undefined;
}

/** The picture size in one video RTP payload, when this packet carries it. */
export function videoSizeFromRtp(codec: CodecChoice["name"], payload: Uint8Array): VideoSize | undefined {
  try {
    if (codec === "H264") {
      for (const sps of h264Sps(payload)) {
        const size = h264SpsSize(sps);
        if (size) return size;
      }
      return undefined;
    }
    if (codec === "VP8") {
      const n = vp8DescriptorLength(payload);
      // Only the first packet of a partition-0 start holds the frame header.
      if (n === undefined || !((payload[0] ?? 0) & 0x10) || (payload[0] ?? 0) & 0x0f) return undefined;
      const f = payload.subarray(n);
      // Frame tag bit 0 clear = keyframe, then the start code 9d 01 2a and 14-bit sizes.
      if (f.length < 10 || ((f[0] ?? 1) & 1) !== 0 || f[3] !== 0x9d || f[4] !== 0x01 || f[5] !== 0x2a)
        return undefined;
      const width = (((f[7] ?? 0) << 8) | (f[6] ?? 0)) & 0x3fff;
      const height = (((f[9] ?? 0) << 8) | (f[8] ?? 0)) & 0x3fff;
      return width && height ? { width, height } : undefined;
    }
    if (codec === "VP9") {
      const p = Vp9RtpPayload.deSerialize(Buffer.from(payload));
      const width = p.width.at(-1);
      const height = p.height.at(-1);
      return width && height ? { width, height } : undefined;
    }
  } catch {
    // A malformed descriptor: not this packet.
  }
  return undefined;
}
