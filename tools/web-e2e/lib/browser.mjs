// The browser side of the run: Debian's chromium with a fake camera and
// microphone, one context per person, and what each context records —
// console errors, failed requests, the JavaScript it downloaded
// (compressed size on the wire) and every RTCPeerConnection the page
// creates (to read its getStats() later).
import { chromium } from "playwright-core";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

// Flags from docs (GUIDE §5): media on a loopback-only machine.
const FLAGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--autoplay-policy=no-user-gesture-required",
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
  // Pages of several contexts run side by side; none may be throttled as
  // a background tab (timers, requestAnimationFrame, media).
  "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
];

/** Drops the query and fragment of a URL: they carry codes, state and invitation tokens. */
export function bare(u) {
  try {
    const x = new URL(u);
    return x.origin + x.pathname;
  } catch {
    return "";
  }
}

// Runs in every page before its own scripts: keeps each RTCPeerConnection
// so that the test reads the same getStats() the app could.
function recordPeerConnections() {
  const Native = window.RTCPeerConnection;
  if (!Native || window.__e2ePCs) return;
  window.__e2ePCs = [];
  class Recorded extends Native {
    constructor(...args) {
      super(...args);
      window.__e2ePCs.push(this);
    }
  }
  window.RTCPeerConnection = Recorded;
}

export async function launch() {
  // launch() starts from a fresh temporary profile (user-data-dir).
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true, args: FLAGS });
}

/**
 * A person's browser context. Returns { name, ctx, page, js(), resetJS(), newPage() }.
 * js() is the JavaScript downloaded so far: { bytes, files, uncompressed: [urls] }.
 */
export async function person(browser, report, name, { viewport, mobile = false, media = true, stepTimeout }) {
  const ctx = await browser.newContext({
    viewport,
    isMobile: mobile,
    hasTouch: mobile,
    permissions: media ? ["camera", "microphone"] : [],
    serviceWorkers: "block",
  });
  await ctx.addInitScript(recordPeerConnections);
  ctx.setDefaultTimeout(stepTimeout);
  ctx.setDefaultNavigationTimeout(stepTimeout);
  let scripts = [];
  const watch = (page) => {
    page.on("console", (m) => {
      if ((m.type() === "error" || m.type() === "warning") && report.console.length < 200) {
        report.console.push(`${name} ${m.type()}: ${m.text()}`.slice(0, 300));
      }
    });
    page.on("pageerror", (e) => report.console.length < 200 && report.console.push(`${name} pageerror: ${String(e).slice(0, 300)}`));
    page.on("response", (r) => {
      if (r.status() >= 400 && report.console.length < 200) report.console.push(`${name} HTTP ${r.status()}: ${r.request().method()} ${bare(r.url())}`);
    });
    page.on("requestfailed", (r) => {
      if (report.console.length < 200) report.console.push(`${name} request failed: ${r.method()} ${bare(r.url())} ${r.failure()?.errorText || ""}`);
    });
    // The body size Playwright reports is the encoded (compressed) one,
    // what went over the wire, without headers.
    page.on("requestfinished", (req) => {
      const url = bare(req.url());
      if (!/\.m?js$/.test(url)) return;
      scripts.push(
        Promise.all([req.sizes(), req.response()]).then(async ([s, res]) => ({
          url,
          bytes: s.responseBodySize,
          encoding: (res && (await res.headerValue("content-encoding"))) || "",
        })),
      );
    });
  };
  ctx.on("page", watch);
  const page = await ctx.newPage();
  return {
    name,
    ctx,
    page,
    async js() {
      const all = await Promise.all(scripts);
      const seen = new Map();
      for (const s of all) seen.set(s.url, s); // a file fetched twice counts once
      const files = [...seen.values()];
      return {
        bytes: files.reduce((n, f) => n + f.bytes, 0),
        files: files.length,
        uncompressed: files.filter((f) => !f.encoding && f.bytes > 1024).map((f) => f.url),
      };
    },
    resetJS() {
      scripts = [];
    },
  };
}

/** Screenshots into $SCREENSHOTS, numbered in the order taken. */
export function shooter(report, dir, started) {
  let n = 0;
  return async (who, step) => {
    n++;
    const file = `${String(n).padStart(2, "0")}-${who.name}-${step}.png`;
    const entry = { step: `${who.name}: ${step}`, ms: Date.now() - started, url: bare(who.page.url()) };
    if (dir) {
      await mkdir(dir, { recursive: true });
      entry.screenshot = join(dir, file);
      await who.page.screenshot({ path: entry.screenshot, fullPage: true });
    }
    report.steps.push(entry);
  };
}
