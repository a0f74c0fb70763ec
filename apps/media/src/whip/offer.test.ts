import { describe, expect, test } from "bun:test";
import { chooseCodecs, negotiatedCodecs, OfferError } from "./offer.ts";

/** A trimmed Chromium offer: VP8 first (its default), several H.264 profiles, Opus. */
const CHROME_OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "a=ice-ufrag:abcd",
  "a=ice-pwd:0123456789abcdef012345",
  "a=fingerprint:sha-256 AA:BB",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:63 red/48000/2",
  "a=rtpmap:9 G722/8000",
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109",
  "a=rtpmap:96 VP8/90000",
  "a=rtpmap:97 rtx/90000",
  "a=fmtp:97 apt=96",
  "a=rtpmap:102 H264/90000",
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
  "a=rtpmap:104 H264/90000",
  "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
  "a=rtpmap:106 H264/90000",
  "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  "a=rtpmap:108 H264/90000",
  "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
  "a=rtpmap:109 VP9/90000",
  "",
].join("\r\n");

describe("chooseCodecs", () => {
  test("prefers H.264 constrained baseline 42e01f in packetization mode 1, and Opus", () => {
    const c = chooseCodecs(CHROME_OFFER);
    expect(c.video).toMatchObject({ name: "H264", payloadType: 106 });
    expect(c.video?.fmtp).toContain("profile-level-id=42e01f");
    expect(c.audio).toMatchObject({ name: "opus", payloadType: 111, clockRate: 48000, channels: 2 });
  });

  test("falls back to another mode-1 H.264, then to the client's first of VP8/VP9", () => {
    const no42e = CHROME_OFFER.replace("a=rtpmap:106 H264/90000", "a=rtpmap:106 X/90000");
    expect(chooseCodecs(no42e).video?.payloadType).toBe(102);
    const noH264 = CHROME_OFFER.replaceAll("H264/90000", "X/90000");
    expect(chooseCodecs(noH264).video).toMatchObject({ name: "VP8", payloadType: 96 });
    const vp9First = noH264.replace("96 97 102", "109 96 97 102");
    expect(chooseCodecs(vp9First).video?.name).toBe("VP9");
  });

  test("video without audio is fine (OBS can send video only)", () => {
    const videoOnly = CHROME_OFFER.replace(/m=audio[\s\S]*?(?=m=video)/, "");
    const c = chooseCodecs(videoOnly);
    expect(c.audio).toBeUndefined();
    expect(c.video?.name).toBe("H264");
  });

  test("says exactly what is wrong", () => {
    const cases: [string, string][] = [
      ["", 'must start with "v=0"'],
      ["v=0\r\na=fingerprint:x\r\n", "no a=ice-ufrag"],
      ["v=0\r\na=ice-ufrag:x\r\n", "no a=fingerprint"],
      ["v=0\r\na=ice-ufrag:x\r\na=fingerprint:x\r\n", "no media sections"],
      [CHROME_OFFER.replace("m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video nine"), "malformed media line"],
      [CHROME_OFFER.replace(/H264|VP8|VP9/g, "AV1"), "no supported video codec"],
      [CHROME_OFFER.replace("opus/48000", "PCMU/8000"), "send Opus"],
      [CHROME_OFFER.replace(/m=video[\s\S]*/, ""), "no video section"],
      [`${CHROME_OFFER}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n`, "at most one video"],
      [`v=0\r\na=ice-ufrag:x\r\na=fingerprint:x\r\n${"a=x\r\n".repeat(20000)}`, "larger than"],
    ];
    for (const [sdp, message] of cases) {
      expect(() => chooseCodecs(sdp)).toThrow(OfferError);
      expect(() => chooseCodecs(sdp)).toThrow(message);
    }
  });
});

describe("negotiatedCodecs", () => {
  test("reads the first payload type of each answered m= line", () => {
    const answer = CHROME_OFFER.replace("96 97 102 103 104 105 106 107 108 109", "102").replace(
      "111 63 9",
      "111",
    );
    const c = negotiatedCodecs(answer);
    expect(c.video).toMatchObject({ name: "H264", payloadType: 102 });
    expect(c.audio).toMatchObject({ name: "opus", payloadType: 111 });
  });
});
