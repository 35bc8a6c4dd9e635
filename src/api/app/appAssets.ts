import { createHash } from "node:crypto"
import { gzipSync } from "node:zlib"

/**
 * The workspace's only stylesheet and script, served by the server itself (no CDN, no build step). Pages
 * work without the script; it adds copy buttons, live run progress and confirmation of a clear.
 */
const css = `
:root { color-scheme: light dark; --bg: #fbfbfc; --fg: #1b1d21; --muted: #5d6470; --line: #d9dde3; --panel: #ffffff;
  --accent: #1f5fbf; --hot: #b3261e; --hot-bg: #fde7e5; --warm: #8a5a00; --warm-bg: #fff1d6; --cold: #2f5b8a; --cold-bg: #e3eef9;
  --mark: #fff3a3; --ok: #1d6b3a; --bad: #a3261e; --focus: #f0b400; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14161a; --fg: #e7e9ec; --muted: #a3abb7; --line: #2d323a; --panel: #1c1f24; --accent: #7fb0ff;
    --hot: #ffb4ab; --hot-bg: #5c1a14; --warm: #ffd58a; --warm-bg: #4d3500; --cold: #a9cbf2; --cold-bg: #1b3350;
    --mark: #6b5d00; --ok: #7fd69b; --bad: #ffb4ab; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5rem; }
.skip:focus { left: .5rem; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; margin-right: auto; }
header.top nav a { margin-right: .8rem; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .2rem 0 .8rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin-bottom: 1rem; }
form.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .6rem .8rem; align-items: end; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; color: var(--muted); }
input, select, textarea, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .4rem .5rem; min-height: 2.2rem; }
textarea { min-height: 6rem; width: 100%; }
button, .button { cursor: pointer; background: var(--accent); color: var(--panel); border-color: var(--accent); text-decoration: none; display: inline-block; padding: .4rem .8rem; border-radius: 6px; }
button.secondary, .button.secondary { background: transparent; color: var(--accent); }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.facets { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: .8rem; }
.facets ul { list-style: none; margin: 0; padding: 0; max-height: 12rem; overflow: auto; }
.facets li { display: flex; justify-content: space-between; gap: .5rem; padding: .1rem 0; }
.facets li a[aria-current="true"] { font-weight: 700; }
.count { color: var(--muted); font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); white-space: nowrap; }
th a { color: inherit; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; border-radius: 999px; padding: .05rem .55rem; font-size: .8rem; font-weight: 600; white-space: nowrap; }
.badge.hot { color: var(--hot); background: var(--hot-bg); }
.badge.warm { color: var(--warm); background: var(--warm-bg); }
.badge.cold { color: var(--cold); background: var(--cold-bg); }
.badge.none { color: var(--muted); border: 1px solid var(--line); }
.tag { font-size: .78rem; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 .3rem; margin-left: .3rem; }
.pager { display: flex; gap: 1rem; align-items: center; margin: .8rem 0; flex-wrap: wrap; }
.notice { border-left: 4px solid var(--accent); padding: .5rem .8rem; background: var(--panel); margin-bottom: 1rem; }
.notice.error { border-color: var(--bad); }
dl.fields { display: grid; grid-template-columns: minmax(9rem, max-content) 1fr; gap: .3rem 1rem; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
mark { background: var(--mark); color: inherit; padding: 0 .1rem; border-radius: 2px; }
.website-text { white-space: pre-wrap; max-height: 24rem; overflow: auto; font-size: .92rem; }
.status-success, .status-succeeded { color: var(--ok); }
.status-failed { color: var(--bad); }
progress { width: 8rem; vertical-align: middle; }
.grid2 { display: grid; grid-template-columns: 1fr; gap: 1rem; }
@media (min-width: 900px) { .grid2 { grid-template-columns: 3fr 2fr; } }
@media (max-width: 600px) { main { padding: .6rem; } td, th { padding: .35rem .4rem; } .hide-narrow { display: none; } dl.fields { grid-template-columns: 1fr; } dl.fields dt { margin-top: .4rem; } }
`

const js = `
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent || "";
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { select(source); });
    } else { select(source); done(); }
  });
  function select(node) {
    var range = document.createRange(); range.selectNodeContents(node);
    var selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    try { document.execCommand("copy"); } catch (e) { /* the text stays selected for the person to copy */ }
  }
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.hasAttribute("data-confirm") && !window.confirm(submitter.getAttribute("data-confirm"))) event.preventDefault();
  });
  var live = document.querySelector("[data-live]");
  if (live && window.EventSource) {
    var source = new EventSource(live.getAttribute("data-live"));
    var status = document.getElementById("live-status");
    source.addEventListener("update", function (event) {
      live.innerHTML = event.data;
      if (status) status.textContent = "Live: updated " + new Date().toLocaleTimeString();
    });
    source.addEventListener("open", function () { if (status) status.textContent = "Live: following progress"; });
    source.addEventListener("error", function () { if (status) status.textContent = "Live updates paused; retrying"; });
  }
})();
`

export interface Asset {
  readonly type: string
  readonly body: string
  readonly gzipped: Uint8Array
  /** In the URL, so a new build's asset is fetched again while each stays cacheable for long. */
  readonly hash: string
}

const asset = (type: string, body: string): Asset => ({
  type,
  body,
  gzipped: gzipSync(body),
  hash: createHash("sha256").update(body).digest("hex").slice(0, 10)
})

export const appAssets = { "app.css": asset("text/css; charset=utf-8", css), "app.js": asset("text/javascript; charset=utf-8", js) } as const
