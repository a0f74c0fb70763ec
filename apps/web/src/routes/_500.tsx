import { Layout } from "../components/layout.tsx";

/** The page shown when rendering failed or a service behind this page is down. */
export default function ErrorPage({
  data,
}: {
  data: { message: string; requestId?: string; retry?: string };
}) {
  return (
    <Layout>
      <div class="page page-narrow status-page">
        <p class="status-code">Oops</p>
        <h1>Something went wrong</h1>
        <p>{data.message}</p>
        <p>
          <a class="btn" href={data.retry ?? "/"}>
            Try again
          </a>{" "}
          <a class="btn btn-ghost" href="/">
            Back to the directory
          </a>
        </p>
        {data.requestId && <p class="muted small">Request id: {data.requestId}</p>}
      </div>
    </Layout>
  );
}
