import { type FixtureSite, html, htmlPage } from "../test/support/fixtureSites.js"

const paragraph =
  "We build a cloud platform that automates back-office workflows for growing logistics teams. " +
  "Connect your tools through our API and dozens of integrations; dashboards give managers real-time data. "

/** `site<N>.test`: robots.txt, a homepage linking to an about page (and to pages not worth following), the about page. */
export const benchSite = (host: string): FixtureSite | undefined => {
  const match = /^site(\d+)\.test$/.exec(host)
  if (!match) return undefined
  return {
    routes: {
      "/robots.txt": { headers: { "content-type": "text/plain" }, body: "User-agent: *\nDisallow: /admin\n" },
      "/": html(
        htmlPage({
          title: `Company ${match[1]}`,
          description: "Automation for logistics",
          body: paragraph.repeat(6),
          links: [["/about", "About us"], ["/blog/2024/01/01/launch", "Blog"], ["/admin", "Admin"]]
        })
      ),
      "/about": html(htmlPage({ title: "About", body: `Founded in 2009. ${paragraph.repeat(4)}` }))
    }
  }
}
