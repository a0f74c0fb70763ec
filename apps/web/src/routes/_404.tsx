import { Layout } from "../components/layout.tsx";

/** The page for anything that does not exist (unknown paths and unknown streams). */
export default function NotFound({ data }: { data: { what?: string } }) {
  return (
    <Layout>
      <div class="page page-narrow status-page">
        <p class="status-code">404</p>
        <h1>{data.what ?? "This page does not exist"}</h1>
        <p>
          The link may be old, or the stream may have ended and been removed. Live channels are on the{" "}
          <a href="/">directory</a>; to start your own, <a href="/broadcast">go live</a>.
        </p>
      </div>
    </Layout>
  );
}
