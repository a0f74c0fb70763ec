import type { SourceInfo } from "./ladder.ts";
import type { TranscodeInput } from "./transcode-args.ts";
import type { FeedSource } from "./transcoder.ts";

/** An ingest handing a live stream to the pipeline (RTMP, WHIP): the one shared stream abstraction. */
export interface IngestFeed {
  input: TranscodeInput;
  source: SourceInfo;
  /** Required for stdin inputs: subscribes a (re)started ffmpeg to the stream. */
  feed?: FeedSource;
  /** Bytes received from the publisher so far. */
  inBytes(): number;
  /** Disconnects the publisher (stream deleted by the manager). */
  kick(): void;
}
