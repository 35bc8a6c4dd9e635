import type { Child } from "hono/jsx"
import { appAssets } from "./appAssets.js"
import { CSRF_FIELD } from "../PageSession.js"

export interface LayoutProps {
  readonly title: string
  readonly section: "leads" | "runs" | "login"
  /** The logout form's token; absent when the pages are open (no API_KEY). */
  readonly logoutCsrf?: string | undefined
  readonly children?: Child
}

const navLink = (href: string, label: string, current: boolean) => (
  <a href={href} aria-current={current ? "page" : undefined}>
    {label}
  </a>
)

export const Layout = (props: LayoutProps) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <link rel="icon" href="data:," />
      <title>{`${props.title} · CommonForge Leads`}</title>
      <link rel="stylesheet" href={`/app/assets/app.css?v=${appAssets["app.css"].hash}`} />
      <script src={`/app/assets/app.js?v=${appAssets["app.js"].hash}`} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">CommonForge Leads</span>
        {props.section === "login" ? null : (
          <nav aria-label="Main">
            {navLink("/app", "Leads", props.section === "leads")}
            {navLink("/app/runs", "Runs", props.section === "runs")}
            <a href="/docs">API docs</a>
          </nav>
        )}
        {props.logoutCsrf ? (
          <form method="post" action="/app/logout">
            <input type="hidden" name={CSRF_FIELD} value={props.logoutCsrf} />
            <button type="submit" class="secondary">
              Sign out
            </button>
          </form>
        ) : null}
      </header>
      <main id="main" tabindex={-1}>
        {props.children}
      </main>
    </body>
  </html>
)

export type Tier = "hot" | "warm" | "cold" | "none"

export interface Thresholds {
  readonly hotScore: number
  readonly warmScore: number
}

export const tierOf = (score: number | null, thresholds: Thresholds): Tier =>
  score === null ? "none" : score >= thresholds.hotScore ? "hot" : score >= thresholds.warmScore ? "warm" : "cold"

export const ScoreBadge = (props: { readonly score: number | null; readonly thresholds: Thresholds }) => {
  const tier = tierOf(props.score, props.thresholds)
  return (
    <span class={`badge ${tier}`} title={tier === "none" ? "not scored" : `${tier} lead`}>
      {props.score === null ? "—" : `${props.score} ${tier}`}
    </span>
  )
}
