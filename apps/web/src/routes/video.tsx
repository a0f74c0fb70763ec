import type { Video } from "@hearth/contracts/mini";
import { Layout } from "../components/layout.tsx";
import { type LookupFailure, LookupFailurePage, lookupPage, videoHead } from "../components/lookup-page.tsx";
import ChatReplay from "../islands/ChatReplay.tsx";
import VodPlayer from "../islands/VodPlayer.tsx";
import { island } from "../runtime/island.tsx";
import type { RouteModule } from "../runtime/route.ts";
import { formatDate, formatDuration } from "../shared/format.ts";

const VodPlayerIsland = island("VodPlayer", VodPlayer);
const ChatReplayIsland = island("ChatReplay", ChatReplay);

type Data = { kind: "ok"; video: Video; managerUrl: string } | LookupFailure;

/** GET /videos/:videoId: a past broadcast, its details in the HTML so it is useful before (and without) JavaScript. */
export const handler: RouteModule<Data>["handler"] = {
  GET: (_req, ctx) =>
    lookupPage<Video, Data>(
      ctx,
      () => ctx.manager.video(ctx.params.videoId ?? ""),
      "Video not found · Hearth",
      (video) => ({
        data: { kind: "ok", video, managerUrl: ctx.managerUrl },
        head: videoHead(ctx, {
          title: `${video.title} · Past broadcast · Hearth`,
          ogTitle: video.title,
          description: `${video.title}: broadcast of ${formatDate(video.startedAt)} on Hearth (${formatDuration(video.durationSeconds)}).`,
          image: video.thumbnailUrl,
        }),
      }),
    ),
};

/** The video page: the recording's player, its details, and its chat replayed beside it. */
export default function VideoPage({ data }: { data: Data }) {
  if (data.kind !== "ok") {
    return <LookupFailurePage failure={data} what="This video does not exist" service="video" />;
  }
  const v = data.video;
  return (
    <Layout>
      <div class="watch">
        <div class="watch-main">
          <VodPlayerIsland
            hlsUrl={v.hlsUrl}
            title={v.title}
            posterUrl={v.thumbnailUrl}
            managerUrl={data.managerUrl}
            videoId={v.videoId}
          />
          <div class="stream-info">
            <h1 class="stream-title" data-testid="video-title">
              {v.title}
            </h1>
            {v.state === "recording" && <span class="badge badge-live">LIVE</span>}
          </div>
          <p class="video-meta muted">
            <time datetime={v.startedAt} data-testid="video-date">
              {formatDate(v.startedAt)}
            </time>
            <span data-testid="video-duration">{formatDuration(v.durationSeconds)}</span>
            <a href={`/watch/${v.publicId}`} data-testid="stream-link">
              Go to the channel
            </a>
          </p>
        </div>
        <aside class="watch-chat">
          <ChatReplayIsland replayUrl={v.chatReplayUrl} growing={v.state === "recording"} />
        </aside>
      </div>
    </Layout>
  );
}
