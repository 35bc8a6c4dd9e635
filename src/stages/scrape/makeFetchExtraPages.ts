import { Effect, type Scope } from "effect"
import type { Fetched, Follow } from "./makeFollow.js"
import type { PageRole } from "./makeRequest.js"

const extraPage: PageRole = { withHeadline: false, extraPages: 0 }

/** Same-site about / product / pricing / customers pages the homepage links to; one that fails is left out. */
export const makeFetchExtraPages = (options: { readonly follow: Follow; readonly maxRetries: number }) =>
  (home: Fetched): Effect.Effect<ReadonlyArray<Fetched>, never, Scope.Scope> =>
    Effect.forEach(
      home.links,
      (href) => Effect.option(options.follow(new URL(href), extraPage, { maxRetries: Math.min(1, options.maxRetries), sameSiteAs: home.url })),
      { concurrency: 1 }
    ).pipe(
      Effect.map((fetched) => {
        const pages: Array<Fetched> = []
        for (const page of fetched) {
          if (page._tag === "None") continue
          const seen = [home, ...pages].some((p) => p.url.href === page.value.url.href || p.text === page.value.text)
          if (!seen) pages.push(page.value)
        }
        return pages
      })
    )
