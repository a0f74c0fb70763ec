import { createSocket, type Socket } from "node:dgram";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import type { IngestFeed } from "../ingest-feed.ts";
import type { SourceInfo } from "../ladder.ts";
import type { Pipeline } from "../stream-registry.ts";
import { reserveRtpPorts } from "./local-ports.ts";
import { type CodecChoice, negotiatedCodecs, type OfferChoice } from "./offer.ts";
import { loopbackSdp, type RtpPorts } from "./rtp-sdp.ts";
import { guardSocketErrors } from "./socket-guard.ts";
import { type VideoSize, videoSizeFromRtp } from "./video-size.ts";

export interface SessionOptions {
  id: string;
  publicId: string;
  choice: OfferChoice;
  /** Where the session hands its media once the publisher's picture size is known. */
  pipeline: Pick<Pipeline, "publishStarted" | "publishStopped">;
  logger: Logger;
  /** Extra host candidates (werift skips loopback unless told). */
  iceHosts: string[];
  icePortRange?: [number, number];
  /** No RTP this long after the answer (ICE, DTLS and the first packet) ends the session. */
  mediaTimeoutMs: number;
  /**
   * Once media flowed, no RTP for this long is a drop. A browser sends video RTP many times a second (even a
   * still picture), and a peer that vanishes says nothing: werift's ICE consent only expires after 30 s.
   */
  idleTimeoutMs: number;
  /** How long a peer that closed its connection has for its WHIP DELETE before the close counts as a drop. */
  closeWaitMs: number;
  /** How often to ask for a keyframe: the source rung is copied, so this is its segment length. */
  keyframeIntervalMs: number;
  /** Called exactly once when the session is over, whatever ended it. */
  onEnd(reason: string): void;
  /** Where the 0600 SDP file for the transcoder is written; default the OS temp directory. */
  tmpDir?: string;
}

/** How a session ended, as the pipeline wants to hear it (see Pipeline.publishStopped). */
export type EndHow = "clean" | "dropped";

/** Browsers send at most 30 fps to a WHIP endpoint unless told otherwise; the part length assumes it. */
const ASSUMED_FPS = 30;

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
 * decrypted, with its RTCP sender reports, to loopback UDP ports that the stream's one transcoder
 * ffmpeg reads (an `IngestFeed` of kind "rtp-sdp", as RTMP hands over "flv-pipe"). No second ffmpeg,
 * no second key check, no key anywhere but in this process's memory.
 */
export class WhipSession {
  readonly startedAt = Date.now();
  private readonly pc: RTCPeerConnection;
  private readonly udp: Socket;
  private readonly sdpPath: string;
  private ports: RtpPorts | undefined;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private lastMediaAt = 0;
  /** Whether any RTP arrived: the idle timeout applies from then on, the (longer) media timeout before. */
  private mediaFlowed = false;
  private videoPli: (() => void) | undefined;
  private size: VideoSize | undefined;
  private onSize: ((size: VideoSize) => void) | undefined;
  private feed: IngestFeed | undefined;
  private ended = false;
  /** The peer closed its DTLS transport: the session ends after closeWaitMs unless a DELETE comes first. */
  private closing = false;
  private why: string | null = null;
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
    this.sdpPath = join(o.tmpDir ?? tmpdir(), `hearth-whip-${o.id}.sdp`);
    this.udp = createSocket("udp4");
    // ffmpeg not listening (yet, or while it restarts) makes the kernel refuse packets; Bun reports that
    // as an 'error' event, which would otherwise crash the process. Losing those packets is fine.
    this.udp.on("error", () => undefined);
  }

  /** Whether the pipeline has this session's media (a transcoder reads its ports). */
  get publishing(): boolean {
    return this.feed !== undefined;
  }

  /** Why the session ended, or null while it has not. */
  get endReason(): string | null {
    return this.why;
  }

  /** Applies the offer, returns the complete answer (all host candidates inlined: no trickle needed). */
  async answer(offer: string): Promise<string> {
    this.pc.onRemoteTransceiverAdded.subscribe((t) => this.receive(t));
    this.pc.connectionStateChange.subscribe((state) => {
      this.o.logger.info("peer connection", { state });
      // ICE or DTLS gave up, or the peer went away: the publisher may come back, as after an RTMP drop.
      if (state === "failed" || state === "closed") void this.end(`connection ${state}`, "dropped");
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
    const [video, audio] = await reserveRtpPorts(choice.audio ? 2 : 1);
    if (video === undefined) throw new Error("no free loopback UDP port for the transcoder");
    this.ports = { video, ...(audio !== undefined ? { audio } : {}) };
    await writeFile(this.sdpPath, loopbackSdp(choice, this.ports), { mode: 0o600 });
    this.lastMediaAt = Date.now();
    // Checked twice a second, so a silent publisher is dropped well within 1 s of the timeout.
    this.timers.push(setInterval(() => this.checkMedia(), 500));
    this.timers.push(setInterval(() => this.videoPli?.(), this.o.keyframeIntervalMs));
    void this.publish(choice).catch((err) => {
      this.o.logger.error("whip publish failed", { err: String(err) });
      void this.end("publish failed", "dropped");
    });
    return sdp;
  }

  /** Once the first keyframe told the picture size, hands the stream to the pipeline. */
  private async publish(choice: OfferChoice): Promise<void> {
    const video = choice.video;
    if (!video) return;
    const size =
      this.size ??
      (await new Promise<VideoSize | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), this.o.mediaTimeoutMs);
        this.onSize = (s) => {
          clearTimeout(timer);
          resolve(s);
        };
      }));
    if (this.ended) return;
    if (!size) return void this.end("no keyframe with the picture size", "dropped");
    const source: SourceInfo = {
      videoCodec: video.name.toLowerCase(),
      width: size.width,
      height: size.height,
      fps: ASSUMED_FPS,
      audioCodec: choice.audio ? "opus" : null,
    };
    const feed: IngestFeed = {
      input: { kind: "rtp-sdp", sdpPath: this.sdpPath },
      source,
      inBytes: () => this.forwarded.bytes,
      // The manager deleted the stream: end the session (the registry ends the pipeline side).
      kick: () => void this.end("stream deleted", "clean"),
    };
    // Set before awaiting: an end during start-up must tell the pipeline about this feed.
    this.feed = feed;
    this.o.logger.info("whip publishing", { width: size.width, height: size.height, codec: video.name });
    const started = this.o.pipeline.publishStarted(this.o.publicId, feed);
    // The new ffmpeg has no SPS/PPS yet: ask for keyframes while it starts listening.
    for (const ms of [300, 1000]) this.timers.push(setTimeout(() => this.videoPli?.(), ms));
    if (!(await started)) {
      this.feed = undefined;
      await this.end("stream already live", "dropped");
    }
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
    // A browser closing its peer connection sends a DTLS close_notify; werift closes that transport but not
    // the peer connection's state (which follows ICE only, and ICE consent takes 30 s to expire). A client
    // that stops may close before its DELETE (Hearth's own web client does): the DELETE gets a moment to
    // arrive and make it a clean stop; without one, it is a drop.
    transceiver.dtlsTransport?.onStateChange.subscribe((state) => {
      if (state === "failed") void this.end("dtls failed", "dropped");
      if (state === "closed" && !this.closing) {
        this.closing = true;
        this.timers.push(setTimeout(() => void this.end("peer closed", "dropped"), this.o.closeWaitMs));
      }
    });
    transceiver.onTrack.subscribe((track: MediaStreamTrack) => {
      const kind = track.kind === "video" ? "video" : "audio";
      const videoCodec = this.o.choice.video?.name;
      if (kind === "video") {
        this.videoPli = () => {
          if (track.ssrc !== undefined)
            void transceiver.receiver.sendRtcpPLI(track.ssrc).catch(() => undefined);
        };
        // The first frames went out before anyone listened: a fresh keyframe carries the picture size.
        track.onReceiveRtp.once(() => setTimeout(() => this.videoPli?.(), 200));
      }
      track.onReceiveRtp.subscribe((rtp) => {
        this.lastMediaAt = Date.now();
        this.mediaFlowed = true;
        if (kind === "video" && !this.size && videoCodec) {
          this.size = videoSizeFromRtp(videoCodec, rtp.payload);
          if (this.size) this.onSize?.(this.size);
        }
        const port = kind === "video" ? this.ports?.video : this.ports?.audio;
        if (port === undefined || this.ended) return;
        // Padding-only probes are forwarded too: they use media sequence numbers, and a gap would make
        // ffmpeg's jitter buffer hold everything back while it waits for the "lost" packet.
        const packet = rtp.serialize();
        this.udp.send(packet, port, "127.0.0.1");
        this.forwarded[kind]++;
        this.forwarded.bytes += packet.length;
      });
      transceiver.receiver.onRtcp.subscribe((rtcp) => {
        const port = kind === "video" ? this.ports?.video : this.ports?.audio;
        if (port === undefined || this.ended || rtcp.type !== RtcpSrPacket.type) return;
        // Sender reports map RTP time to wall-clock time: ffmpeg needs them to keep audio and video in sync.
        this.udp.send(rtcp.serialize(), port + 1, "127.0.0.1");
        this.forwarded.rtcp++;
      });
    });
  }

  private checkMedia(): void {
    const silentMs = Date.now() - this.lastMediaAt;
    if (this.mediaFlowed && silentMs > this.o.idleTimeoutMs) void this.end("publisher silent", "dropped");
    else if (silentMs > this.o.mediaTimeoutMs) void this.end("no media", "dropped");
  }

  /**
   * Ends the session: tells the pipeline (`how`: "clean" for WHIP DELETE or a deleted stream, "dropped"
   * for a failure), closes the peer and removes the SDP file. Idempotent.
   */
  async end(reason: string, how: EndHow = "dropped"): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.why = reason;
    for (const t of this.timers) clearInterval(t);
    this.o.logger.info("whip session ended", {
      reason,
      how,
      seconds: Math.round((Date.now() - this.startedAt) / 1000),
    });
    this.o.onEnd(reason);
    const feed = this.feed;
    await Promise.allSettled([
      feed ? this.o.pipeline.publishStopped(this.o.publicId, feed, how) : undefined,
      this.pc.close(),
    ]);
    this.udp.close();
    await rm(this.sdpPath, { force: true });
  }
}
