import { describe, expect, test } from "bun:test";
import type { OfferChoice } from "./offer.ts";
import { relayArgs, relaySdp } from "./relay-command.ts";

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
const RTMP = "rtmp://127.0.0.1:1935/live/KEY";

describe("relay command (golden)", () => {
  test("SDP file: plain RTP on loopback, RTCP on the next port", () => {
    expect(relaySdp(H264_OPUS, { video: 40000, audio: 40002 })).toBe(
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

  test("H.264 + Opus: video copied, audio to AAC, FLV to RTMP", () => {
    expect(relayArgs(H264_OPUS, "/tmp/s.sdp", RTMP).join(" ")).toBe(
      "-hide_banner -loglevel warning -nostdin -protocol_whitelist file,udp,rtp" +
        " -analyzeduration 10000000 -probesize 10000000 -fflags +genpts -reorder_queue_size 64" +
        " -i /tmp/s.sdp -map 0:v:0 -map 0:a:0 -c:v copy -c:a aac -b:a 128k -ar 48000 -ac 2 -f flv " +
        RTMP,
    );
  });

  test("VP8 without audio: decoded once to H.264 with a fixed GOP, no audio mapping", () => {
    const vp8: OfferChoice = {
      video: { kind: "video", name: "VP8", payloadType: 96, clockRate: 90000, fmtp: "" },
    };
    expect(relaySdp(vp8, { video: 40000 })).not.toContain("m=audio");
    expect(relaySdp(vp8, { video: 40000 })).not.toContain("a=fmtp");
    const args = relayArgs(vp8, "/tmp/s.sdp", RTMP).join(" ");
    expect(args).toContain(
      "-map 0:v:0 -c:v libx264 -preset veryfast -tune zerolatency -g 60 -keyint_min 60 -sc_threshold 0 -pix_fmt yuv420p -f flv",
    );
    expect(args).not.toContain("0:a");
    expect(args).not.toContain("aac");
  });
});
