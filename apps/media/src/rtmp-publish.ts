import type { PublishRefusal } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import type { IngestFeed } from "./ingest-feed.ts";
import type { KeyVerifier } from "./key-verifier.ts";
import type { RtmpPublisher } from "./rtmp-ingest.ts";
import type { Pipeline } from "./stream-registry.ts";

export interface RtmpPublishDeps {
  verifier: KeyVerifier;
  pipeline: Pipeline;
  logger: Logger;
  /** How long to wait for the publisher's sequence headers. */
  headersTimeoutMs?: number;
  /**
   * A verified key's publish was refused: RTMP can only drop the connection (OBS then says "failed to connect"),
   * so the reason goes to the manager, which shows it to the streamer.
   */
  onRefused?(publicId: string, refusal: Omit<PublishRefusal, "node">): void;
}

const ALREADY_LIVE: Omit<PublishRefusal, "node"> = {
  code: "already_live",
  message: "The stream is already live from another encoder; a second publish with the same key was refused.",
  retryAfterSeconds: null,
};

/**
 * Decides about one RTMP publish: the key must be one the manager knows and has not ended, the stream
 * must not be live already, and the publisher must send H.264/HEVC headers; otherwise it is dropped.
 * Logs carry the public id and the remote address, never the key.
 */
export function rtmpPublishHandler(deps: RtmpPublishDeps): (pub: RtmpPublisher) => void {
  return (pub) => {
    void (async () => {
      let publicId: string | null;
      try {
        publicId = await deps.verifier.verify(pub.key);
      } catch (err) {
        deps.logger.error("rtmp publish refused: key check failed", { remote: pub.remote, err: String(err) });
        pub.close();
        return;
      }
      if (!publicId) {
        deps.logger.warn("rtmp publish refused: unknown or ended stream key", { remote: pub.remote });
        pub.close();
        return;
      }
      const refuse = (refusal: Omit<PublishRefusal, "node">) => {
        pub.close();
        deps.onRefused?.(publicId as string, refusal);
      };
      if (deps.pipeline.isLive(publicId)) {
        deps.logger.warn("rtmp publish refused: stream already live", { publicId, remote: pub.remote });
        refuse(ALREADY_LIVE);
        return;
      }
      const full = deps.pipeline.refusal?.(publicId);
      if (full) {
        deps.logger.warn("rtmp publish refused: node at capacity", {
          publicId,
          remote: pub.remote,
          reason: full.reason,
        });
        refuse({
          code: "at_capacity",
          message: `This media node is at capacity (${full.reason}). Try again in ${full.retryAfterSeconds} s.`,
          retryAfterSeconds: full.retryAfterSeconds,
        });
        return;
      }
      const source = await pub.sourceInfo(deps.headersTimeoutMs ?? 5000);
      if (!source || pub.isClosed()) {
        deps.logger.warn("rtmp publish dropped: no video headers", { publicId, remote: pub.remote });
        if (pub.isClosed()) pub.close();
        else
          refuse({
            code: "no_media",
            message:
              "No video arrived within a few seconds of the publish. Check the encoder's video source.",
            retryAfterSeconds: null,
          });
        return;
      }
      if (source.videoCodec !== "h264") {
        deps.logger.warn("rtmp publish refused: only H.264 video is supported over RTMP", {
          publicId,
          remote: pub.remote,
          videoCodec: source.videoCodec,
        });
        refuse({
          code: "unsupported_codec",
          message: `Only H.264 video can be published over RTMP (this encoder sent ${source.videoCodec}). Pick x264 or another H.264 encoder.`,
          retryAfterSeconds: null,
        });
        return;
      }
      const feed: IngestFeed = {
        input: { kind: "flv-pipe" },
        source,
        feed: (write) => pub.subscribe(write),
        inBytes: () => pub.inBytes(),
        kick: () => pub.close(),
      };
      const started = deps.pipeline.publishStarted(publicId, feed);
      // Registered before awaiting: a drop during start-up must still end (or pause) the session. An
      // FCUnpublish/deleteStream before the close is a stop the streamer asked for; anything else a drop.
      void pub.closed.then(() =>
        deps.pipeline.publishStopped(publicId, feed, pub.unpublished() ? "clean" : "dropped"),
      );
      if (!(await started)) {
        deps.logger.warn("rtmp publish refused: stream already live", { publicId, remote: pub.remote });
        refuse(ALREADY_LIVE);
      }
    })().catch((err) => {
      deps.logger.error("rtmp publish failed", { remote: pub.remote, err: String(err) });
      pub.close();
    });
  };
}
