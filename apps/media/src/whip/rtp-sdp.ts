import type { CodecChoice, OfferChoice } from "./offer.ts";

/**
 * The SDP that tells the transcoder's ffmpeg where a WHIP session's RTP arrives: werift decrypts the
 * publisher's SRTP and forwards plain RTP (and RTCP sender reports) to these loopback UDP ports. It holds
 * ports and codecs only, never a key.
 */

/** Local UDP ports ffmpeg listens on for one kind; RTCP is always rtp + 1. */
export interface RtpPorts {
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

/** The SDP file the transcoder reads: plain RTP/AVP on loopback (werift already removed SRTP). */
export function loopbackSdp(choice: OfferChoice, ports: RtpPorts): string {
  const lines = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=hearth-whip", "c=IN IP4 127.0.0.1", "t=0 0"];
  if (choice.video) lines.push(...mediaSection(choice.video, ports.video));
  if (choice.audio && ports.audio !== undefined) lines.push(...mediaSection(choice.audio, ports.audio));
  return `${lines.join("\r\n")}\r\n`;
}
