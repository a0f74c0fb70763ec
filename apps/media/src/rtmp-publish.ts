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
}

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
      if (deps.pipeline.isLive(publicId)) {
        deps.logger.warn("rtmp publish refused: stream already live", { publicId, remote: pub.remote });
        pub.close();
        return;
      }
      const full = deps.pipeline.refusal?.(publicId);
      if (full) {
        deps.logger.warn("rtmp publish refused: node at capacity", {
          publicId,
          remote: pub.remote,
          reason: full.reason,
        });
        pub.close();
        return;
      }
      const source = await pub.sourceInfo(deps.headersTimeoutMs ?? 5000);
      if (!source || pub.isClosed()) {
        deps.logger.warn("rtmp publish dropped: no video headers", { publicId, remote: pub.remote });
        pub.close();
        return;
      }
      if (source.videoCodec !== "h264") {
        deps.logger.warn("rtmp publish refused: only H.264 video is supported over RTMP", {
          publicId,
          remote: pub.remote,
          videoCodec: source.videoCodec,
        });
        pub.close();
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
        pub.close();
      }
    })().catch((err) => {
      deps.logger.error("rtmp publish failed", { remote: pub.remote, err: String(err) });
      pub.close();
    });
  };
}
