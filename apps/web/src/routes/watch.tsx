import { PublicId, type StreamLookup, type Video } from "@hearth/contracts/mini";
import { Layout } from "../components/layout.tsx";
import {
  type LookupFailure,
  LookupFailurePage,
  lookupPage,
  missing,
  videoHead,
} from "../components/lookup-page.tsx";
import { VideoRow } from "../components/video-row.tsx";
import Chat from "../islands/Chat.tsx";
import Player from "../islands/Player.tsx";
import { island } from "../runtime/island.tsx";
import type { RouteModule } from "../runtime/route.ts";

const PlayerIsland = island("Player", Player);
const ChatIsland = island("Chat", Chat);

/** How many past broadcasts the watch page lists. */
const PAST_BROADCASTS = 8;

type Data =
  | { kind: "ok"; stream: StreamLookup; managerUrl: string; thumbnailUrl: string; videos: Video[] }
  | LookupFailure;

/** GET /watch/:publicId: looks the stream up so name, state and OG tags are in the HTML. */
export const handler: RouteModule<Data>["handler"] = {
  async GET(_req, ctx) {
    const publicId = ctx.params.publicId ?? "";
    if (!PublicId.safeParse(publicId).success) return missing("Stream not found · Hearth");
    // The past broadcasts are extra: a failure there leaves them out rather than failing the page.
    const pastVideos = ctx.manager
      .listVideos({ stream: publicId, limit: PAST_BROADCASTS + 1 })
      .then((l) => l.videos.filter((v) => v.state === "ready").slice(0, PAST_BROADCASTS))
      .catch(() => [] as Video[]);
    return lookupPage<StreamLookup, Data>(
      ctx,
      () => ctx.manager.lookup(publicId),
      "Stream not found · Hearth",
      async (stream) => {
        const thumbnailUrl = `${stream.hlsUrl.slice(0, stream.hlsUrl.lastIndexOf("/") + 1)}thumb.jpg`;
        const title = `${stream.name} · Hearth`;
        const description = stream.live
          ? `${stream.name} is live on Hearth.`
          : `${stream.name} on Hearth (offline).`;
        return {
          data: { kind: "ok", stream, managerUrl: ctx.managerUrl, thumbnailUrl, videos: await pastVideos },
          head: videoHead(ctx, {
            title: stream.live ? `🔴 ${title}` : title,
            ogTitle: stream.name,
            description,
            image: thumbnailUrl,
          }),
        };
      },
    );
  },
};

/** The watch page: player and chat side by side (stacked on a phone). */
export default function Watch({ data }: { data: Data }) {
  if (data.kind !== "ok") {
    return <LookupFailurePage failure={data} what="This stream does not exist" service="stream" />;
  }
  const s = data.stream;
  const latest = data.videos[0];
  return (
    <Layout>
      <div class="watch">
        <div class="watch-main">
          <PlayerIsland
            publicId={s.publicId}
            name={s.name}
            managerUrl={data.managerUrl}
            live={s.live}
            reconnecting={s.reconnecting}
            hlsUrl={s.hlsUrl}
            rungs={s.rungs}
            dvr={s.dvr}
            latest={
              latest
                ? { videoId: latest.videoId, title: latest.title, durationSeconds: latest.durationSeconds }
                : null
            }
          />
          <VideoRow videos={data.videos} heading="Past broadcasts" id="past-broadcasts" />
        </div>
        <aside class="watch-chat">
          <ChatIsland chatUrl={s.chatUrl} />
        </aside>
      </div>
    </Layout>
  );
}
