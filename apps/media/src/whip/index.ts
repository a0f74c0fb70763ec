export { type CodecChoice, chooseCodecs, type OfferChoice, OfferError } from "./offer.ts";
export { createWhipIngest, type WhipDeps, type WhipIngest } from "./routes.ts";
export { loopbackSdp, type RtpPorts } from "./rtp-sdp.ts";
export type { EndHow, WhipSession } from "./session.ts";
export { managerStreamExists } from "./stream-exists.ts";
export { type VideoSize, videoSizeFromRtp } from "./video-size.ts";
