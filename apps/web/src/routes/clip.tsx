import type { Clip } from "@hearth/contracts/mini";
import { Layout } from "../components/layout.tsx";
import VodPlayer from "../islands/VodPlayer.tsx";
import { island } from "../runtime/island.tsx";
import type { RouteModule } from "../runtime/route.ts";
import { formatDate, formatDuration } from "../shared/format.ts";
import NotFound from "./_404.tsx";
import ErrorPage from "./_500.tsx";

const VodPlayerIsland = island("VodPlayer", VodPlayer);

type Data =
  | { kind: "ok"; clip: Clip; managerUrl: string }
  | { kind: "missing" }
  | { kind: "unavailable"; retry: string };

/** GET /clips/:clipId: a clip, with links to its channel and (while it still exists) its video. */
export const handler: RouteModule<Data>["handler"] = {
  async GET(_req, ctx) {
    let clip: Clip | null;
    try {
      clip = await ctx.manager.clip(ctx.params.clipId ?? "");
    } catch {
      return {
        data: { kind: "unavailable", retry: ctx.url.pathname },
        head: { title: "Unavailable · Hearth" },
        status: 503,
      };
    }
    if (!clip) return { data: { kind: "missing" }, head: { title: "Clip not found · Hearth" }, status: 404 };
    const description = `A ${formatDuration(clip.durationSeconds)} clip on Hearth.`;
    return {
      data: { kind: "ok", clip, managerUrl: ctx.managerUrl },
      head: {
        title: `${clip.title} · Clip · Hearth`,
        description,
        og: {
          title: clip.title,
          description,
          type: "video.other",
          url: ctx.url.toString(),
          image: clip.thumbnailUrl,
          site_name: "Hearth",
        },
      },
    };
  },
};

/** The clip page. */
export default function ClipPage({ data }: { data: Data }) {
  if (data.kind === "missing") return <NotFound data={{ what: "This clip does not exist" }} />;
  if (data.kind === "unavailable") {
    return (
      <ErrorPage
        data={{
          message: "The video service is not answering right now. Try again in a moment.",
          retry: data.retry,
        }}
      />
    );
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
