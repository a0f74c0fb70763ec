/**
 * Reads a WHIP client's SDP offer far enough to decide what we will receive: one video codec the
 * relay can hand to ffmpeg (H.264 first, copied untouched; VP8/VP9 only when there is no H.264)
 * and Opus audio. Anything else is a 400 with a message that says what is supported.
 */

/** A codec picked from the offer, with the payload type the client will send it with. */
export interface CodecChoice {
  kind: "video" | "audio";
  /** Encoding name as written in a=rtpmap (H264, VP8, VP9, opus). */
  name: "H264" | "VP8" | "VP9" | "opus";
  payloadType: number;
  clockRate: number;
  channels?: number;
  /** The offer's a=fmtp parameters for this payload type, verbatim ("" when none). */
  fmtp: string;
}

export interface OfferChoice {
  video?: CodecChoice;
  audio?: CodecChoice;
}

/** The offer cannot be used; the message is safe to show to the client. */
export class OfferError extends Error {
  override name = "OfferError";
}

interface RtpMap {
  payloadType: number;
  name: string;
  clockRate: number;
  channels?: number;
  fmtp: string;
}

interface MediaSection {
  kind: string;
  port: number;
  rtpmaps: RtpMap[];
  /** Payload types in the order of the m= line (the client's preference). */
  order: number[];
}

const MAX_OFFER_BYTES = 64 * 1024;

/** Splits an offer into m= sections with their rtpmap/fmtp lines; throws OfferError when it is not SDP. */
export function parseOffer(sdp: string): MediaSection[] {
  if (sdp.length > MAX_OFFER_BYTES) throw new OfferError(`SDP offer is larger than ${MAX_OFFER_BYTES} bytes`);
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== "v=0") throw new OfferError('SDP offer must start with "v=0"');
  if (!lines.some((l) => l.startsWith("a=ice-ufrag:")))
    throw new OfferError("SDP offer has no a=ice-ufrag: ICE credentials are required");
  if (!lines.some((l) => l.startsWith("a=fingerprint:")))
    throw new OfferError("SDP offer has no a=fingerprint: DTLS-SRTP is required");
  const sections: MediaSection[] = [];
  const fmtps = new Map<MediaSection, Map<number, string>>();
  for (const line of lines) {
    if (line.startsWith("m=")) {
      const m = /^m=(\w+) (\d+) [\w/]+((?: \d+)*)$/.exec(line);
      if (!m) throw new OfferError(`malformed media line: ${line.slice(0, 80)}`);
      const section: MediaSection = {
        kind: m[1] ?? "",
        port: Number(m[2]),
        rtpmaps: [],
        order: (m[3] ?? "").trim().split(" ").filter(Boolean).map(Number),
      };
      sections.push(section);
      fmtps.set(section, new Map());
      continue;
    }
    const current = sections.at(-1);
    if (!current) continue;
    const rtpmap = /^a=rtpmap:(\d+) ([\w-]+)\/(\d+)(?:\/(\d+))?$/.exec(line);
    if (rtpmap) {
      current.rtpmaps.push({
        payloadType: Number(rtpmap[1]),
        name: rtpmap[2] ?? "",
        clockRate: Number(rtpmap[3]),
        ...(rtpmap[4] ? { channels: Number(rtpmap[4]) } : {}),
        fmtp: "",
      });
      continue;
    }
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (fmtp) fmtps.get(current)?.set(Number(fmtp[1]), fmtp[2] ?? "");
  }
  if (sections.length === 0) throw new OfferError("SDP offer has no media sections (m= lines)");
  for (const [section, byPt] of fmtps) {
    for (const map of section.rtpmaps) map.fmtp = byPt.get(map.payloadType) ?? "";
  }
  return sections;
}

function fmtpValue(fmtp: string, key: string): string | undefined {
  for (const part of fmtp.split(";")) {
    const [k, v] = part.trim().split("=");
    if (k?.toLowerCase() === key) return v?.trim();
  }
  return undefined;
}

/** Ranks an H.264 payload: constrained baseline 42e01f first (what every browser sends), then any other mode-1. */
function h264Rank(map: RtpMap): number {
  if (fmtpValue(map.fmtp, "packetization-mode") !== "1") return -1;
  const profile = fmtpValue(map.fmtp, "profile-level-id")?.toLowerCase() ?? "";
  if (profile === "42e01f") return 3;
  if (profile.startsWith("42")) return 2;
  return 1;
}

function inOfferOrder(section: MediaSection, maps: RtpMap[]): RtpMap[] {
  return [...maps].sort(
    (a, b) => section.order.indexOf(a.payloadType) - section.order.indexOf(b.payloadType),
  );
}

function pickVideo(section: MediaSection): CodecChoice | undefined {
  const h264 = inOfferOrder(
    section,
    section.rtpmaps.filter((m) => m.name.toUpperCase() === "H264" && h264Rank(m) > 0),
  ).sort((a, b) => h264Rank(b) - h264Rank(a))[0];
  if (h264) return { kind: "video", name: "H264", ...pick(h264) };
  // No H.264: take the client's own first choice among the codecs ffmpeg can decode.
  for (const map of inOfferOrder(section, section.rtpmaps)) {
    const name = map.name.toUpperCase();
    if (name === "VP8" || name === "VP9") return { kind: "video", name, ...pick(map) };
  }
  return undefined;
}

function pickAudio(section: MediaSection): CodecChoice | undefined {
  const opus = inOfferOrder(section, section.rtpmaps).find((m) => m.name.toLowerCase() === "opus");
  return opus ? { kind: "audio", name: "opus", ...pick(opus) } : undefined;
}

function pick(map: RtpMap): Pick<CodecChoice, "payloadType" | "clockRate" | "channels" | "fmtp"> {
  return {
    payloadType: map.payloadType,
    clockRate: map.clockRate,
    ...(map.channels ? { channels: map.channels } : {}),
    fmtp: map.fmtp,
  };
}

/** Chooses the codecs to accept from an offer; throws OfferError with a clear reason when none fit. */
export function chooseCodecs(sdp: string): OfferChoice {
  const sections = parseOffer(sdp).filter((s) => s.port !== 0);
  const videos = sections.filter((s) => s.kind === "video");
  const audios = sections.filter((s) => s.kind === "audio");
  if (videos.length > 1 || audios.length > 1)
    throw new OfferError("SDP offer must carry at most one video and one audio section");
  const choice: OfferChoice = {};
  const [videoSection] = videos;
  const [audioSection] = audios;
  if (videoSection) {
    const video = pickVideo(videoSection);
    if (!video)
      throw new OfferError(
        "no supported video codec in the offer: send H264 (packetization-mode=1), VP8 or VP9",
      );
    choice.video = video;
  }
  if (audioSection) {
    const audio = pickAudio(audioSection);
    if (!audio) throw new OfferError("no supported audio codec in the offer: send Opus");
    choice.audio = audio;
  }
  if (!choice.video) throw new OfferError("SDP offer has no video section: a broadcast needs video");
  return choice;
}

const NAMES: Record<string, CodecChoice["name"]> = { H264: "H264", VP8: "VP8", VP9: "VP9", OPUS: "opus" };

/**
 * Reads back what our answer settled on (werift may answer a different, compatible payload type than
 * the one we preferred): the first payload type of each accepted m= line is what the client sends.
 */
export function negotiatedCodecs(answer: string): OfferChoice {
  const choice: OfferChoice = {};
  for (const section of parseOffer(answer)) {
    if (section.port === 0 || (section.kind !== "video" && section.kind !== "audio")) continue;
    const first = section.rtpmaps.find((m) => m.payloadType === section.order[0]);
    const name = first ? NAMES[first.name.toUpperCase()] : undefined;
    if (!first || !name) throw new OfferError(`answer settled on an unsupported ${section.kind} codec`);
    choice[section.kind] = { kind: section.kind, name, ...pick(first) };
  }
  if (!choice.video) throw new OfferError("answer accepted no video");
  return choice;
}
