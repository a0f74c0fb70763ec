import NotFound from "../routes/_404.tsx";
import ErrorPage from "../routes/_500.tsx";
import type { PageData, PageHead, RouteContext } from "../runtime/route.ts";

/** Why a page about one thing the manager looks up (a stream, a video, a clip) has nothing to show. */
export type LookupFailure = { kind: "missing" } | { kind: "unavailable"; retry: string };

/**
 * Looks one thing up and builds its page: a 503 page when the manager does not answer, a 404 titled
 * `missingTitle` when it knows no such thing, else `found`'s page.
 */
export async function lookupPage<T, D>(
  ctx: RouteContext,
  lookup: () => Promise<T | null>,
  missingTitle: string,
  found: (thing: T) => PageData<D> | Promise<PageData<D>>,
): Promise<PageData<D | LookupFailure>> {
  let thing: T | null;
  try {
    thing = await lookup();
  } catch {
    return unavailable(ctx);
  }
  if (!thing) return missing(missingTitle);
  return found(thing);
}

/** The manager did not answer: a 503 page whose "Try again" reloads this path. */
function unavailable(ctx: RouteContext): PageData<LookupFailure> {
  return {
    data: { kind: "unavailable", retry: ctx.url.pathname },
    head: { title: "Unavailable · Hearth" },
    status: 503,
  };
}

/** The manager knows no such thing: a 404 page titled `title`. */
export function missing(title: string): PageData<LookupFailure> {
  return { data: { kind: "missing" }, head: { title }, status: 404 };
}

/** The head of a page about one video-like thing, with its Open Graph card (so a shared link previews it). */
export function videoHead(
  ctx: RouteContext,
  page: { title: string; ogTitle: string; description: string; image: string },
): PageHead {
  return {
    title: page.title,
    description: page.description,
    og: {
      title: page.ogTitle,
      description: page.description,
      type: "video.other",
      url: ctx.url.toString(),
      image: page.image,
      site_name: "Hearth",
    },
  };
}

/** The page for a failed lookup: `what` names the missing thing, `service` the one that did not answer. */
export function LookupFailurePage({
  failure,
  what,
  service,
}: {
  failure: LookupFailure;
  what: string;
  service: string;
}) {
  if (failure.kind === "missing") return <NotFound data={{ what }} />;
  return (
    <ErrorPage
      data={{
        message: `The ${service} service is not answering right now. Try again in a moment.`,
        retry: failure.retry,
      }}
    />
  );
}
