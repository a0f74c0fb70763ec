import { Layout } from "../components/layout.tsx";
import Admin from "../islands/Admin.tsx";
import { island } from "../runtime/island.tsx";
import type { RouteModule } from "../runtime/route.ts";

const AdminIsland = island("Admin", Admin);

interface Data {
  managerUrl: string;
}

/**
 * GET /admin: the operator's page. A shell rendered here; everything behind the admin token is loaded by
 * the island from the manager with the token this browser keeps (the web tier never sees the token).
 */
export const handler: RouteModule<Data>["handler"] = {
  async GET(_req, ctx) {
    return {
      data: { managerUrl: ctx.managerUrl },
      head: { title: "Operator · Hearth", noindex: true },
    };
  },
};

/** The operator's page. */
export default function AdminPage({ data }: { data: Data }) {
  return (
    <Layout>
      <div class="page">
        <h1 class="page-title">Operator</h1>
        <AdminIsland managerUrl={data.managerUrl} />
        <noscript>
          <p class="notice notice-error">The operator's page needs JavaScript.</p>
        </noscript>
      </div>
    </Layout>
  );
}
