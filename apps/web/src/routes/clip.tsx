import type { Clip } from "@hearth/contracts/mini";
import { Layout } from "../components/layout.tsx";
import { type LookupFailure, LookupFailurePage, lookupPage, videoHead } from "../components/lookup-page.tsx";
import VodPlayer from "../islands/VodPlayer.tsx";
import { island } from "../runtime/island.tsx";
import type { RouteModule } from "../runtime/route.ts";
import { formatDate, formatDuration } from "../shared/format.ts";

const VodPlayerIsland = island("VodPlayer", VodPlayer);

type Data = { kind: "ok"; clip: Clip; managerUrl: string } | LookupFailure;

/** GET /clips/:clipId: a clip, with links to its channel and (while it still exists) its video. */
export const handler: RouteModule<Data>["handler"] = {
  GET: (_req, ctx) =>
    lookupPage<Clip, Data>(
      ctx,
      () => ctx.manager.clip(ctx.params.clipId ?? ""),
      "Clip not found · Hearth",
      (clip) => ({
        data: { kind: "ok", clip, managerUrl: ctx.managerUrl },
        head: videoHead(ctx, {
          title: `${clip.title} · Clip · Hearth`,
          ogTitle: clip.title,
          description: `A ${formatDuration(clip.durationSeconds)} clip on Hearth.`,
          image: clip.thumbnailUrl,
        }),
      }),
    ),
};

/** The clip page. */
export default function ClipPage({ data }: { data: Data }) {
  if (data.kind !== "ok") {
    return <LookupFailurePage failure={data} what="This clip does not exist" service="video" />;
  }
  const c = data.clip;
  return (
    <Layout>
      <div class="page">
        <VodPlayerIsland
          hlsUrl={c.hlsUrl}
          title={c.title}
          posterUrl={c.thumbnailUrl}
          managerUrl={data.managerUrl}
        />
        <div class="stream-info">
          <h1 class="stream-title" data-testid="video-title">
            {c.title}
          </h1>
        </div>
        <p class="video-meta muted">
          <span data-testid="video-duration">{formatDuration(c.durationSeconds)}</span>
          <time datetime={c.startedAt}>{formatDate(c.startedAt)}</time>
          <a href={`/watch/${c.publicId}`} data-testid="stream-link">
            Go to the channel
          </a>
          {/* A clip outlives its recording: the manager sets videoId to null when the video is deleted. */}
          {c.videoId && (
            <a href={`/videos/${c.videoId}`} data-testid="video-link">
              Watch the whole broadcast
            </a>
          )}
        </p>
      </div>
    </Layout>
  );
}
