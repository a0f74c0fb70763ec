import { createSocket, type Socket } from "node:dgram";
import type { Logger } from "@hearth/server-kit";
import {
  RTCRtpCodecParameters as CodecParameters,
  type MediaStreamTrack,
  RTCPeerConnection,
  type RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtcpSrPacket,
  useTransportWideCC,
} from "werift";
import type { SpawnFfmpeg } from "./ffmpeg-spawn.ts";
import { type CodecChoice, negotiatedCodecs, type OfferChoice } from "./offer.ts";
import { Relay } from "./relay.ts";
import { guardSocketErrors } from "./socket-guard.ts";

export interface SessionOptions {
  id: string;
  publicId: string;
  key: string;
  choice: OfferChoice;
  rtmpUrl: string;
  spawnFfmpeg: SpawnFfmpeg;
  logger: Logger;
  /** Extra host candidates (werift skips loopback unless told). */
  iceHosts: string[];
  icePortRange?: [number, number];
  /** No RTP for this long (or no connection this long after the answer) ends the session. */
  mediaTimeoutMs: number;
  /** How often to ask for a keyframe: the source rung is copied, so this is its segment length. */
  keyframeIntervalMs: number;
  shouldRestartRelay(): Promise<boolean>;
  /** Called exactly once when the session is over, whatever ended it. */
  onEnd(reason: string): void;
  tmpDir?: string;
}

function werift(codec: CodecChoice): RTCRtpCodecParameters {
  const fb =
    codec.kind === "video"
      ? [{ type: "nack" }, { type: "nack", parameter: "pli" }, { type: "transport-cc" }]
      : [];
  return new CodecParameters({
    mimeType: `${codec.kind}/${codec.name}`,
    clockRate: codec.clockRate,
    payloadType: codec.payloadType,
    ...(codec.channels ? { channels: codec.channels } : {}),
    // Echo the offer's fmtp so werift's H.264 matching (profile-level-id) accepts exactly this one.
    ...(codec.fmtp ? { parameters: codec.fmtp } : {}),
    rtcpFeedback: fb,
  });
}

/**
 * One WHIP publisher: a werift peer that receives the browser's (or OBS's) RTP and forwards it,
 * decrypted, with its RTCP sender reports, to the session's relay ffmpeg on loopback.
 */
export class WhipSession {
  readonly startedAt = Date.now();
  private readonly pc: RTCPeerConnection;
  private relay: Relay | undefined;
  private readonly udp: Socket;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private lastMediaAt = 0;
  private videoPli: (() => void) | undefined;
  private ended = false;
  /** Packets (and RTP bytes) forwarded, by kind (tests and benchmarks read these). */
  readonly forwarded = { video: 0, audio: 0, rtcp: 0, bytes: 0 };

  constructor(private readonly o: SessionOptions) {
    this.pc = new RTCPeerConnection({
      codecs: {
        video: o.choice.video ? [werift(o.choice.video)] : [],
        audio: o.choice.audio ? [werift(o.choice.audio)] : [],
      },
      // Transport-wide congestion control lets the browser ramp up to its target bitrate quickly.
      headerExtensions: { video: [useTransportWideCC()], audio: [] },
      // No STUN/TURN is reachable here, and host candidates are enough on a LAN or loopback.
      iceServers: [],
      iceAdditionalHostAddresses: o.iceHosts,
      ...(o.icePortRange ? { icePortRange: o.icePortRange } : {}),
    });
    this.udp = createSocket("udp4");
    // ffmpeg not listening (yet, or while it restarts) makes the kernel refuse packets; Bun reports that
    // as an 'error' event, which would otherwise crash the process. Losing those packets is fine.
    this.udp.on("error", (err) => this.o.logger.warn("relay forward socket", { err: err.message }));
  }

  /** The relay ffmpeg's pid, for CPU accounting. */
  get relayPid(): number | undefined {
    return this.relay?.pid;
  }

  /** Applies the offer, returns the complete answer (all host candidates inlined: no trickle needed). */
  async answer(offer: string): Promise<string> {
    this.pc.onRemoteTransceiverAdded.subscribe((t) => this.receive(t));
    this.pc.connectionStateChange.subscribe((state) => {
      this.o.logger.info("peer connection", { state });
      if (state === "failed" || state === "closed") void this.end(`connection ${state}`);
    });
    await this.pc.setRemoteDescription({ type: "offer", sdp: offer });
    for (const t of this.pc.getTransceivers()) t.setDirection("recvonly");
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered(2000);
    guardSocketErrors(this.pc, (err) => this.o.logger.warn("ice socket", { err: err.message }));
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error("werift produced no answer");
    // ffmpeg must describe the payload types the client will actually use: those of our answer.
    const choice = negotiatedCodecs(sdp);
    this.relay = new Relay({
      sessionId: this.o.id,
      choice,
      rtmpUrl: this.o.rtmpUrl,
      key: this.o.key,
      spawnFfmpeg: this.o.spawnFfmpeg,
      logger: this.o.logger,
      tmpDir: this.o.tmpDir,
      // ffmpeg (re)started: it has no SPS/PPS yet, so ask for a keyframe once it is listening.
      onStart: () => setTimeout(() => this.videoPli?.(), 300),
      shouldRestart: this.o.shouldRestartRelay,
      onFail: (reason) => void this.end(reason),
    });
    const ports = await this.relay.start();
    this.o.logger.info("relay ports", { ports });
    this.lastMediaAt = Date.now();
    // Checked twice a second, so a silent publisher is dropped well within 1 s of the timeout.
    this.timers.push(setInterval(() => this.checkMedia(), 500));
    this.timers.push(setInterval(() => this.videoPli?.(), this.o.keyframeIntervalMs));
    return sdp;
  }

  private gathered(timeoutMs: number): Promise<void> {
    if (this.pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.pc.iceGatheringStateChange.subscribe((state) => {
        if (state !== "complete") return;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private receive(transceiver: RTCRtpTransceiver): void {
    transceiver.onTrack.subscribe((track: MediaStreamTrack) => {
      const kind = track.kind === "video" ? "video" : "audio";
      if (kind === "video") {
        this.videoPli = () => {
          if (track.ssrc !== undefined)
            void transceiver.receiver.sendRtcpPLI(track.ssrc).catch(() => undefined);
        };
        // The first frames may have gone out before ffmpeg was listening: ask for a fresh keyframe.
        track.onReceiveRtp.once(() => setTimeout(() => this.videoPli?.(), 200));
      }
      track.onReceiveRtp.subscribe((rtp) => {
        this.lastMediaAt = Date.now();
        const port = kind === "video" ? this.relay?.ports?.video : this.relay?.ports?.audio;
        if (port === undefined) return;
        // Padding-only probes are forwarded too: they use media sequence numbers, and a gap would make
        // ffmpeg's jitter buffer hold everything back while it waits for the "lost" packet.
        const packet = rtp.serialize();
        this.udp.send(packet, port, "127.0.0.1");
        this.forwarded[kind]++;
        this.forwarded.bytes += packet.length;
      });
      transceiver.receiver.onRtcp.subscribe((rtcp) => {
        const port = kind === "video" ? this.relay?.ports?.video : this.relay?.ports?.audio;
        if (port === undefined || rtcp.type !== RtcpSrPacket.type) return;
        // Sender reports map RTP time to wall-clock time: ffmpeg needs them to keep audio and video in sync.
        this.udp.send(rtcp.serialize(), port + 1, "127.0.0.1");
        this.forwarded.rtcp++;
      });
    });
  }

  private checkMedia(): void {
    if (Date.now() - this.lastMediaAt > this.o.mediaTimeoutMs) void this.end("no media");
  }

  /** Ends the session: closes the peer, stops the relay (so the RTMP publisher disconnects). Idempotent. */
  async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearInterval(t);
    this.o.logger.info("whip session ended", {
      reason,
      seconds: Math.round((Date.now() - this.startedAt) / 1000),
    });
    this.o.onEnd(reason);
    await Promise.allSettled([this.pc.close(), this.relay?.stop()]);
    this.udp.close();
  }
}
