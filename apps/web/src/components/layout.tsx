import type { ComponentChildren } from "preact";

/** The site frame: top bar with the brand and the two ways in (browse, go live). Server-only. */
export function Layout({
  children,
  active,
}: {
  children: ComponentChildren;
  active?: "browse" | "broadcast";
}) {
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="/" aria-label="Hearth home">
          <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
            <path
              d="M16 3c2 5 8 8 8 15a8 8 0 0 1-16 0c0-4 2-6 4-8 0 3 1 5 3 6-1-5 0-9 1-13z"
              fill="#ff7a18"
            />
          </svg>
          <span>Hearth</span>
        </a>
        <nav aria-label="Main">
          <a href="/" aria-current={active === "browse" ? "page" : undefined}>
            Browse
          </a>
          <a
            class="btn btn-primary"
            href="/broadcast"
            aria-current={active === "broadcast" ? "page" : undefined}
          >
            Go live
          </a>
        </nav>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
