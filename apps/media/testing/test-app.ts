import { createLogger } from "@hearth/server-kit";
import { createApp, type MediaAppDeps } from "../src/app.ts";

/** The internal token testApp's internal API answers to. */
export const TEST_INTERNAL_TOKEN = "internal-token-0123456789";

/** A registry with no stream in it: every status is offline, no metrics, remove does nothing. */
export function idleRegistry(): MediaAppDeps["registry"] {
  return {
    status: (publicId) => ({
      publicId,
      live: false,
      phase: null,
      quality: null,
      rungs: [],
      input: null,
      transcoder: null,
    }),
    metrics: () => ({ streams: [], restartsEnded: 0 }),
    remove: async () => {},
  };
}

/**
 * The media node's app as a test needs it: what the test gives (its packagers, HLS dir, recordings...) over an idle
 * registry, TEST_INTERNAL_TOKEN, a silent logger and example public bases.
 */
export function testApp(deps: Pick<MediaAppDeps, "llhls" | "hlsDir"> & Partial<MediaAppDeps>) {
  return createApp({
    registry: idleRegistry(),
    internalToken: TEST_INTERNAL_TOKEN,
    logger: createLogger({}, { silent: true }),
    publicRtmpBase: "rtmp://media.example:1935/live",
    publicHlsBase: "https://cdn.example/hls",
    publicWhipBase: "https://media.example/whip",
    ...deps,
  });
}
