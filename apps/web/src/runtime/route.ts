import type { StreamCreationPolicy } from "@hearth/contracts/mini";
import type { ComponentType } from "preact";
import type { ManagerApi } from "../manager-api.ts";

/** What every route handler receives besides the request (web-standard types only: edge-safe). */
export interface RouteContext {
  manager: ManagerApi;
  /** The manager's public base URL, handed to islands so browsers call it directly. */
  managerUrl: string;
  /** Who may create streams on this instance (STREAM_CREATION), so the broadcast page can ask for an invite. */
  streamCreation: StreamCreationPolicy;
  params: Record<string, string>;
  url: URL;
}

/** <head> contents a page asks for. */
export interface PageHead {
  title: string;
  description?: string;
  /** Open Graph properties without the "og:" prefix (title, image, url, type...). */
  og?: Record<string, string>;
  /** Pages that must not be indexed or cached by shared caches (the broadcast page). */
  noindex?: boolean;
}

/** A page to render: data for the component, its head, and the status. */
export interface PageData<D> {
  data: D;
  head: PageHead;
  status?: 200 | 404 | 500 | 503;
}

/** A route module in Fresh's shape: an optional `handler` (GET) and the default page component. */
export interface RouteModule<D> {
  handler?: { GET(req: Request, ctx: RouteContext): Promise<PageData<D> | Response> };
  default: ComponentType<{ data: D }>;
}
