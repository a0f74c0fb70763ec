/**
 * A WHIP publisher without a browser, for the benchmark: a werift peer whose tracks are fed by an
 * ffmpeg that loops a pre-encoded 720p30 H.264 + Opus clip as RTP in real time (-re), so the ingest
 * sees a steady, known bitrate. Runs in its own process: its CPU is not the server's.
 *   bun bench/whip/publisher.ts <whipUrl/publicId> <key> <clip.ts>
 * A key of "-" is read from WHIP_KEY instead (secret-scan: no key on any command line on the machine).
 * Prints `PUBLISHED <ms>` once the WHIP POST answered 201; stops on SIGTERM (sends DELETE).
 */
import { createSocket, type Socket } from "node:dgram";
// werift is a dependency of apps/media; bench/ sits outside the workspaces (bun installs them isolated).
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpPacket } from "werift";
import { guardSocketErrors } from "../../apps/media/src/whip/socket-guard.ts";

const [whipUrl, keyArg, clip] = process.argv.slice(2);
const key = keyArg === "-" ? process.env.WHIP_KEY : keyArg;
if (!whipUrl || !key || !clip) throw new Error("usage: publisher.ts <whipUrl> <key> <clip>");

const H264_PT = 102;
const OPUS_PT = 111;
const video = new MediaStreamTrack({ kind: "video" });
const audio = new MediaStreamTrack({ kind: "audio" });
const pc = new RTCPeerConnection({
  codecs: {
    video: [
      new RTCRtpCodecParameters({
        mimeType: "video/H264",
        clockRate: 90000,
        payloadType: H264_PT,
        rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }],
        parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
      }),
    ],
    audio: [
      new RTCRtpCodecParameters({
        mimeType: "audio/opus",
        clockRate: 48000,
        channels: 2,
        payloadType: OPUS_PT,
      }),
    ],
  },
  iceAdditionalHostAddresses: ["127.0.0.1"],
});
pc.addTransceiver(video, { direction: "sendonly" });
pc.addTransceiver(audio, { direction: "sendonly" });
await pc.setLocalDescription(await pc.createOffer());
const t0 = Date.now();
const res = await fetch(whipUrl, {
  method: "POST",
  headers: { authorization: `Bearer ${key}`, "content-type": "application/sdp" },
  body: pc.localDescription?.sdp ?? "",
});
const answer = await res.text();
if (res.status !== 201) throw new Error(`WHIP POST answered ${res.status}: ${answer}`);
const location = new URL(res.headers.get("location") ?? "", whipUrl).href;
await pc.setRemoteDescription({ type: "answer", sdp: answer });
// An ICMP "port unreachable" (the server's side went away first) must not crash the publisher mid-run.
guardSocketErrors(pc, () => undefined);

function rtpInput(track: MediaStreamTrack, payloadType: number): Promise<{ socket: Socket; port: number }> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.on("error", () => undefined);
    socket.on("message", (data) => {
      const rtp = RtpPacket.deSerialize(data);
      rtp.header.payloadType = payloadType;
      track.writeRtp(rtp);
    });
    socket.bind(0, "127.0.0.1", () => resolve({ socket, port: socket.address().port }));
  });
}
const v = await rtpInput(video, H264_PT);
const a = await rtpInput(audio, OPUS_PT);
const source = Bun.spawn(
  [
    "ffmpeg",
    "-hide_banner",
    ["-loglevel", "error"],
    // Real time, forever (the benchmark stops us): a steady 2.5 Mb/s into the peer connection.
    ["-re", "-stream_loop", "-1", "-i", clip],
    // The clip is MPEG-TS: Annex B with SPS/PPS before every IDR, as a browser sends them.
    ["-map", "0:v", "-c:v", "copy"],
    ["-f", "rtp", `rtp://127.0.0.1:${v.port}?pkt_size=1200`],
    ["-map", "0:a", "-c:a", "copy", "-f", "rtp", `rtp://127.0.0.1:${a.port}?pkt_size=1200`],
  ].flat(),
  { stdin: "ignore", stdout: "ignore", stderr: "inherit" },
);
// However this process ends, the looping source must not outlive it.
process.on("exit", () => source.kill("SIGKILL"));
console.log(`PUBLISHED ${Date.now() - t0}`);

process.on("SIGTERM", async () => {
  source.kill("SIGKILL");
  await fetch(location, { method: "DELETE", headers: { authorization: `Bearer ${key}` } }).catch(
    () => undefined,
  );
  await pc.close();
  v.socket.close();
  a.socket.close();
  process.exit(0);
});
