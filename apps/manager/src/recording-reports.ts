import { hlsBaseOf, type RecordingReport } from "@hearth/contracts";
import { HttpError } from "@hearth/server-kit";
import type { MediaNodeStore } from "./media-nodes.ts";
import type { StreamRow, StreamStore } from "./stream-store.ts";
import type { VideoRow, VideoStore } from "./video-store.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

export interface RecordingReportDeps {
  store: Pick<StreamStore, "get">;
  nodes: Pick<MediaNodeStore, "byId">;
  videos: Pick<VideoStore, "report">;
  viewers: ViewerCounts;
}

/**
 * The public HLS base of the node that reports: a registered node's heart-beaten base, else (the single node of
 * a small set-up) the base of the stream's own playlist URL, which that node gave when the stream was created.
 */
async function hlsBaseFor(d: RecordingReportDeps, node: string, stream: StreamRow): Promise<string> {
  const registered = await d.nodes.byId(node);
  if (registered) return registered.hlsBase;
  try {
    return hlsBaseOf(stream.hlsUrl, stream.publicId);
  } catch {
    // A playlist URL outside the contracts' layout: its directory's parent is the nearest guess.
    return stream.hlsUrl.replace(/\/[^/]*\/[^/]*$/, "");
  }
}

/** Records a media node's report of a recording; 404 when its stream is unknown. */
export async function applyRecordingReport(
  d: RecordingReportDeps,
  report: RecordingReport,
): Promise<{ row: VideoRow; changed: boolean }> {
  const stream = await d.store.get(report.publicId);
  if (!stream) throw new HttpError(404, "not_found", "no stream with that public id");
  return d.videos.report(report, {
    title: stream.name,
    hlsBase: await hlsBaseFor(d, report.node, stream),
    viewers: stream.live ? d.viewers.get(stream.publicId) : 0,
  });
}
