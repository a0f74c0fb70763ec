import type { StreamCreationPolicy } from "@hearth/contracts/mini";
import { Layout } from "../components/layout.tsx";
import Broadcast from "../islands/Broadcast.tsx";
import { island } from "../runtime/island.tsx";
import type { RouteModule } from "../runtime/route.ts";

const BroadcastIsland = island("Broadcast", Broadcast);

interface Data {
  managerUrl: string;
  creationPolicy: StreamCreationPolicy;
}

/** GET /broadcast: a shell; the stream and its key are created and kept in the browser, never here. */
export const handler: RouteModule<Data>["handler"] = {
  async GET(_req, ctx) {
    return {
      data: { managerUrl: ctx.managerUrl, creationPolicy: ctx.streamCreation },
      head: { title: "Go live · Hearth", description: "Broadcast from your browser or OBS.", noindex: true },
    };
  },
};

/** The broadcast studio page. */
export default function BroadcastPage({ data }: { data: Data }) {
  return (
    <Layout active="broadcast">
      <div class="page">
        <BroadcastIsland managerUrl={data.managerUrl} creationPolicy={data.creationPolicy} />
        <noscript>
          <p class="notice notice-error">Broadcasting from the browser needs JavaScript.</p>
        </noscript>
      </div>
    </Layout>
  );
}
