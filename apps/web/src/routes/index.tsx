import type { StreamSummary, Video } from "@hearth/contracts/mini";
import { Layout } from "../components/layout.tsx";
import { VideoRow } from "../components/video-row.tsx";
import Directory from "../islands/Directory.tsx";
import { island } from "../runtime/island.tsx";
import type { RouteModule } from "../runtime/route.ts";

const DirectoryIsland = island("Directory", Directory);

interface Data {
  streams: StreamSummary[];
  managerUrl: string;
  now: number;
  error?: string;
  /** Every stream's recent finished broadcasts. */
  videos: Video[];
}

/** How many recent broadcasts the directory lists. */
const RECENT_BROADCASTS = 12;

/** GET /: the directory, rendered with the manager's list so it is useful before JavaScript. */
export const handler: RouteModule<Data>["handler"] = {
  async GET(_req, ctx) {
    const now = Date.now();
    // Without `stream` the manager lists ready videos only; a failure there only leaves the row out.
    const recent = ctx.manager
      .listVideos({ limit: RECENT_BROADCASTS })
      .then((l) => l.videos.filter((v) => v.state === "ready"))
      .catch(() => [] as Video[]);
    try {
      const list = await ctx.manager.listStreams();
      return {
        data: { streams: list.streams, managerUrl: ctx.managerUrl, now, videos: await recent },
        head: { title: "Hearth · Live channels", description: "Live streams on Hearth." },
      };
    } catch {
      return {
        data: {
          streams: [],
          managerUrl: ctx.managerUrl,
          now,
          error: "the stream directory is unreachable",
          videos: await recent,
        },
        head: { title: "Hearth · Live channels" },
        status: 503,
      };
    }
  },
};

/** The directory page. */
export default function Home({ data }: { data: Data }) {
  return (
    <Layout active="browse">
      <div class="page">
        <h1 class="page-title">Browse</h1>
        <DirectoryIsland
          streams={data.streams}
          managerUrl={data.managerUrl}
          now={data.now}
          error={data.error}
        />
        <VideoRow videos={data.videos} heading="Past broadcasts" id="recent-broadcasts" />
      </div>
    </Layout>
  );
}
