/**
 * A WHIP publisher in Debian's headless Chromium with a fake camera and microphone, shared by the
 * e2e tests and the benchmark. It serves a blank page on its own loopback port, so every WHIP request
 * is cross-origin and exercises the endpoint's CORS as a real web client would.
 */
// playwright-core is a devDependency of apps/media (bun installs workspaces isolated, so the root cannot see it).
import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS } from "./chromium.ts";

export interface PublishOptions {
  whipUrl: string;
  key: string;
  width: number;
  height: number;
  frameRate?: number;
  /** Cap (and target) for the video encoder, bits per second. */
  maxBitrate?: number;
  /** Restrict the offer to one video codec (e.g. "video/VP8") to test non-H.264 clients. */
  onlyCodec?: string;
  audio?: boolean;
}

export interface PublishResult {
  status: number;
  body: string;
  location?: string;
  videoCodecs: string[];
}

export interface OutboundVideo {
  codec: string;
  frameWidth: number;
  frameHeight: number;
  framesSent: number;
  bytesSent: number;
  connectionState: string;
}

/** A launched Chromium with one page on a blank loopback origin. */
export class ChromiumPublisher {
  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly server: ReturnType<typeof Bun.serve>,
  ) {}

  /** Launches Chromium (Debian's /usr/bin/chromium unless CHROMIUM_PATH says otherwise). */
  static async launch(executablePath = "/usr/bin/chromium"): Promise<ChromiumPublisher> {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response("<!doctype html><title>publisher</title>", { headers: { "content-type": "text/html" } }),
    });
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30_000 });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
    return new ChromiumPublisher(browser, page, server);
  }

  /** getUserMedia + WHIP POST; resolves with the HTTP outcome (the connection continues in the page). */
  publish(o: PublishOptions): Promise<PublishResult> {
    return this.page.evaluate(async (o) => {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { exact: o.width }, height: { exact: o.height }, frameRate: o.frameRate ?? 30 },
        audio: o.audio ?? true,
      });
      const pc = new RTCPeerConnection();
      for (const track of stream.getTracks()) {
        const t = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
        if (track.kind === "video") {
          const caps = RTCRtpSender.getCapabilities("video")?.codecs ?? [];
          if (o.onlyCodec) t.setCodecPreferences(caps.filter((c) => c.mimeType === o.onlyCodec));
          const params = t.sender.getParameters();
          // Keep the camera's resolution while the bitrate ramps up, so the source rung matches it.
          params.degradationPreference = "maintain-resolution";
          for (const e of params.encodings) e.maxBitrate = o.maxBitrate ?? 2_500_000;
          await t.sender.setParameters(params);
        }
      }
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === "complete") return resolve();
        const timer = setTimeout(resolve, 3000);
        pc.addEventListener("icegatheringstatechange", () => {
          if (pc.iceGatheringState === "complete") {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const offer = pc.localDescription?.sdp ?? "";
      const videoCodecs = [...offer.matchAll(/a=rtpmap:\d+ (\w+)\/90000/g)].map((m) => m[1] ?? "");
      const res = await fetch(o.whipUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${o.key}`, "content-type": "application/sdp" },
        body: offer,
      });
      const body = await res.text();
      if (res.status !== 201) return { status: res.status, body, videoCodecs };
      const location = new URL(res.headers.get("location") ?? "", o.whipUrl).href;
      await pc.setRemoteDescription({ type: "answer", sdp: body });
      (globalThis as unknown as { whip: unknown }).whip = { pc, location, key: o.key, stream };
      return { status: 201, body, location, videoCodecs };
    }, o);
  }

  /** The browser's view of what it sends (resolution, codec, bytes). */
  outboundVideo(): Promise<OutboundVideo | undefined> {
    return this.page.evaluate(async () => {
      const whip = (globalThis as unknown as { whip?: { pc: RTCPeerConnection } }).whip;
      if (!whip) return undefined;
      const stats = await whip.pc.getStats();
      let out: OutboundVideo | undefined;
      stats.forEach((s) => {
        if (s.type === "outbound-rtp" && s.kind === "video") {
          const codec = stats.get(s.codecId)?.mimeType ?? "";
          out = {
            codec,
            frameWidth: s.frameWidth ?? 0,
            frameHeight: s.frameHeight ?? 0,
            framesSent: s.framesSent ?? 0,
            bytesSent: s.bytesSent ?? 0,
            connectionState: whip.pc.connectionState,
          };
        }
      });
      return out;
    });
  }

  /** Ends the broadcast the WHIP way: DELETE on the session URL; resolves with the status. */
  unpublish(): Promise<number> {
    return this.page.evaluate(async () => {
      const whip = (
        globalThis as unknown as { whip?: { pc: RTCPeerConnection; location: string; key: string } }
      ).whip;
      if (!whip) return 0;
      const res = await fetch(whip.location, {
        method: "DELETE",
        headers: { authorization: `Bearer ${whip.key}` },
      });
      whip.pc.close();
      return res.status;
    });
  }

  /** Closes the peer connection without DELETE (a vanished client). */
  vanish(): Promise<void> {
    return this.page.evaluate(() => {
      const whip = (globalThis as unknown as { whip?: { pc: RTCPeerConnection; stream: MediaStream } }).whip;
      whip?.pc.close();
      for (const t of whip?.stream.getTracks() ?? []) t.stop();
    });
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    this.server.stop(true);
  }
}
