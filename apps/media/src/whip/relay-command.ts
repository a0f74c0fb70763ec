import type { CodecChoice, OfferChoice } from "./offer.ts";

/**
 * The relay ffmpeg: reads the RTP that werift forwards to local UDP ports (described by an SDP
 * file) and publishes FLV to the media node's own RTMP server, so a WebRTC broadcast enters the
 * same pipeline as OBS over RTMP. Both the SDP file and the argument list are pure functions.
 */

/** Local UDP ports ffmpeg listens on for one kind; RTCP is always rtp + 1. */
export interface RelayPorts {
  video: number;
  audio?: number;
}

function mediaSection(codec: CodecChoice, port: number): string[] {
  const kind = codec.kind;
  const rtpmap = `${codec.name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ""}`;
  return [
    `m=${kind} ${port} RTP/AVP ${codec.payloadType}`,
    `a=rtpmap:${codec.payloadType} ${rtpmap}`,
    ...(codec.fmtp ? [`a=fmtp:${codec.payloadType} ${codec.fmtp}`] : []),
    // Sender reports arrive here; without them ffmpeg cannot align audio and video clocks.
    `a=rtcp:${port + 1}`,
    "a=recvonly",
  ];
}

/** The SDP file ffmpeg reads: plain RTP/AVP on loopback (werift already removed SRTP). */
export function relaySdp(choice: OfferChoice, ports: RelayPorts): string {
  const lines = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=hearth-whip", "c=IN IP4 127.0.0.1", "t=0 0"];
  if (choice.video) lines.push(...mediaSection(choice.video, ports.video));
  if (choice.audio && ports.audio !== undefined) lines.push(...mediaSection(choice.audio, ports.audio));
  return `${lines.join("\r\n")}\r\n`;
}

/** The ffmpeg arguments (without the program name) for one relay; `rtmpUrl` carries the stream key. */
export function relayArgs(choice: OfferChoice, sdpPath: string, rtmpUrl: string): string[] {
  const copyVideo = choice.video?.name === "H264";
  return [
    "-hide_banner",
    // Warnings only: the stderr lines are logged (with the key redacted).
    ["-loglevel", "warning"],
    "-nostdin",
    // The SDP file points at udp/rtp URLs, which the sdp demuxer refuses without this list.
    ["-protocol_whitelist", "file,udp,rtp"],
    // H.264 size comes from the SPS of the first keyframe (asked for with PLI); probing ends as soon
    // as it is seen, so a generous ceiling costs nothing but keeps a slow first keyframe from failing.
    ["-analyzeduration", "10000000", "-probesize", "10000000"],
    // WebRTC timestamps start anywhere; regenerate missing pts and let the muxer start at zero.
    ["-fflags", "+genpts"],
    // A short jitter buffer: werift already reorders and NACKs; a long one stalls on a real loss
    // (500 packets, the default, is 25 s of low-bitrate video).
    ["-reorder_queue_size", "64"],
    ["-i", sdpPath],
    ["-map", "0:v:0"],
    ...(choice.audio ? [["-map", "0:a:0"]] : []),
    copyVideo
      ? // H.264 from the browser goes to RTMP untouched: no decode for the source rung.
        ["-c:v", "copy"]
      : // VP8/VP9 cannot go into FLV: decode once to H.264 with a 2 s GOP so HLS can cut segments.
        [
          ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"],
          ["-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-pix_fmt", "yuv420p"],
        ],
    // Opus is not allowed in FLV; AAC-LC is what every HLS player decodes.
    ...(choice.audio ? [["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]] : []),
    // FLV over RTMP to the media node, exactly like an OBS publisher.
    ["-f", "flv", rtmpUrl],
  ].flat(3);
}
