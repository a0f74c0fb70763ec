import { type ClipCutRequest, ClipCutResult } from "@hearth/contracts";
import type { InternalClient } from "@hearth/server-kit";
import type { MediaNodeStore } from "./media-nodes.ts";

/**
 * What the manager asks of the media node that holds a recording's or a clip's files (declared here, by the
 * consumer). Every call throws UpstreamError when the node cannot be reached or refuses.
 */
export interface RecordingFiles {
  /** Copies whole segments of a recording into a new clip on the same node. */
  cutClip(node: string, request: ClipCutRequest): Promise<ClipCutResult>;
  /** Deletes a recording's files (done also when there was nothing to delete). */
  deleteRecording(node: string, videoId: string): Promise<void>;
  deleteClip(node: string, clipId: string): Promise<void>;
}

/**
 * The files live on the node that recorded them: a registered node is reached at its heart-beaten internal URL;
 * a node id never registered is the single MEDIA_INTERNAL_URL node (embedded mode reports as "default").
 */
export function nodeRecordingFiles(deps: {
  nodes: Pick<MediaNodeStore, "byId">;
  single: InternalClient;
  clientFor(internalUrl: string): InternalClient;
}): RecordingFiles {
  const on = async (node: string) => {
    const row = await deps.nodes.byId(node);
    return row ? deps.clientFor(row.internalUrl) : deps.single;
  };
  return {
    async cutClip(node, request) {
      const result = await (await on(node)).call("POST", "/internal/clips", request, ClipCutResult);
      if (!result) throw new Error("media answered a clip cut without a body");
      return result;
    },
    async deleteRecording(node, videoId) {
      await (await on(node)).call(
        "DELETE",
        `/internal/recordings/${encodeURIComponent(videoId)}`,
        undefined,
        null,
      );
    },
    async deleteClip(node, clipId) {
      await (await on(node)).call("DELETE", `/internal/clips/${encodeURIComponent(clipId)}`, undefined, null);
    },
  };
}
