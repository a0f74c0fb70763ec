export { bunSpawnFfmpeg, type ChildHandle, type SpawnFfmpeg } from "./ffmpeg-spawn.ts";
export { type CodecChoice, chooseCodecs, type OfferChoice, OfferError } from "./offer.ts";
export { relayArgs, relaySdp } from "./relay-command.ts";
export { createWhipIngest, type WhipDeps, type WhipIngest } from "./routes.ts";
export type { WhipSession } from "./session.ts";
export { managerStreamExists } from "./stream-exists.ts";
