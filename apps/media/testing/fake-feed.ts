import type { IngestFeed } from "../src/ingest-feed.ts";

/**
 * An RTMP-like feed with no network behind it (the registry only reads its source and counters); `kicked` counts
 * how often the registry kicked its publisher.
 */
export function fakeFeed(width = 640, height = 360): IngestFeed & { kicked: number } {
  const f = {
    kicked: 0,
    input: { kind: "flv-pipe" } as const,
    source: { videoCodec: "h264", width, height, fps: 30, audioCodec: "aac" },
    inBytes: () => 0,
    kick() {
      f.kicked += 1;
    },
  };
  return f;
}
