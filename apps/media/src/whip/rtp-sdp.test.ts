import { describe, expect, test } from "bun:test";
import type { OfferChoice } from "./offer.ts";
import { loopbackSdp } from "./rtp-sdp.ts";

const H264_OPUS: OfferChoice = {
  video: {
    kind: "video",
    name: "H264",
    payloadType: 102,
    clockRate: 90000,
    fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  },
  audio: {
    kind: "audio",
    name: "opus",
    payloadType: 111,
    clockRate: 48000,
    channels: 2,
    fmtp: "minptime=10",
  },
};

describe("loopbackSdp (golden)", () => {
  test("SDP file: plain RTP on loopback, RTCP on the next port", () => {
    expect(loopbackSdp(H264_OPUS, { video: 40000, audio: 40002 })).toBe(
      [
        "v=0",
        "o=- 0 0 IN IP4 127.0.0.1",
        "s=hearth-whip",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        "m=video 40000 RTP/AVP 102",
        "a=rtpmap:102 H264/90000",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=rtcp:40001",
        "a=recvonly",
        "m=audio 40002 RTP/AVP 111",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10",
        "a=rtcp:40003",
        "a=recvonly",
        "",
      ].join("\r\n"),
    );
  });

  test("VP8 without audio: one video section, no fmtp line", () => {
    const vp8: OfferChoice = {
      video: { kind: "video", name: "VP8", payloadType: 96, clockRate: 90000, fmtp: "" },
    };
    const sdp = loopbackSdp(vp8, { video: 40000 });
    expect(sdp).toContain("m=video 40000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=rtcp:40001");
    expect(sdp).not.toContain("m=audio");
    expect(sdp).not.toContain("a=fmtp");
  });
});
