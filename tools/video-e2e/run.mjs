// Browser end-to-end test of a video visit, driven by playwright-core in
// headless Chromium with a fake camera and microphone. Run by
// internal/e2e/video (go test); it prints one JSON line and exits 1 on
// failure.
//
// Steps: A (practitioner) and B (patient, media forced through TURN) join
// with the SDK and each decodes the other's video (framesDecoded rising,
// frameWidth >= 640) and receives audio; A shares a screen and B decodes
// it; B's network goes away for OUTAGE_MS and media resumes without a page
// reload (same participant, no duplicate); C (a guest) joins and A and B
// switch their cameras to simulcast (outbound-rtp with several rids).
//
// Environment:
//   BASE        the server (serves /video-e2e/index.html and /sdk/housecall.mjs)
//   JOINS       a JSON file {"a": joinAnswer, "b": …, "c": …}
//   CONTROL     URL that takes B's network down for OUTAGE_MS when POSTed
//   PLAYWRIGHT  folder of the playwright-core package
//   SCREENSHOTS folder for PNGs (optional)
//   CHROMIUM    browser binary (default /usr/bin/chromium)
//   OUTAGE_MS   default 5000

import { readFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const env = process.env;
const report = { ok: false, steps: [], console: [], results: {} };
const started = Date.now();
let step = "setup";

function need(name) {
  if (!env[name]) throw new Error(`${name} is not set`);
  return env[name];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 20000, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ": " + last.message : ""}`);
}

function done(name, detail = {}) {
  report.steps.push({ step: name, ms: Date.now() - started, ...detail });
}

const pick = (s, pid, kind) => s.inbound.find((x) => x.participantId === pid && x.kind === kind);

/** Media from pid reaches page: video frames decoded and rising at >= minWidth, audio packets rising. */
async function mediaFlows(page, pid, { kind = "camera", minWidth = 640, audio = true } = {}) {
  const a = await page.evaluate(() => window.e2e.stats());
  await sleep(1000);
  const b = await page.evaluate(() => window.e2e.stats());
  const v0 = pick(a, pid, kind), v1 = pick(b, pid, kind);
  const m0 = pick(a, pid, "microphone"), m1 = pick(b, pid, "microphone");
  const out = {
    framesDecoded: v1?.framesDecoded ?? 0,
    framesDelta: (v1?.framesDecoded ?? 0) - (v0?.framesDecoded ?? 0),
    frameWidth: v1?.frameWidth ?? 0,
    frameHeight: v1?.frameHeight ?? 0,
    audioPackets: m1?.packetsReceived ?? 0,
    audioDelta: (m1?.packetsReceived ?? 0) - (m0?.packetsReceived ?? 0),
    rttMs: b.connection?.rttMs ?? -1,
    path: b.connection ? `${b.connection.localCandidateType}/${b.connection.protocol}` : "",
    uplinkKbps: Math.round((b.connection?.availableOutgoingBitrate ?? 0) / 1000),
  };
  const ok = out.framesDelta > 0 && out.frameWidth >= minWidth && (!audio || out.audioDelta > 0);
  return ok ? out : null;
}

async function lastMedia(page, pid, kind = "camera") {
  const s = await page.evaluate(() => window.e2e.stats());
  const v = pick(s, pid, kind), m = pick(s, pid, "microphone");
  return { framesDecoded: v?.framesDecoded ?? 0, frameWidth: v?.frameWidth ?? 0, audioPackets: m?.packetsReceived ?? 0 };
}

async function main() {
  const base = need("BASE").replace(/\/$/, "");
  const joins = JSON.parse(await readFile(need("JOINS"), "utf8"));
  const control = need("CONTROL");
  const { chromium } = await import(pathToFileURL(join(need("PLAYWRIGHT"), "index.mjs")).href);
  const shots = env.SCREENSHOTS || "";
  const outageMs = Number(env.OUTAGE_MS || 5000);
  if (shots) await mkdir(shots, { recursive: true });
  const shot = async (page, name) => {
    if (shots) await page.screenshot({ path: join(shots, name + ".png") });
  };

  step = "launch";
  // launch() gives the browser a fresh temporary profile (user-data-dir).
  const browser = await chromium.launch({
    executablePath: env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--allow-loopback-in-peer-connection",
      "--autoplay-policy=no-user-gesture-required",
      "--auto-select-desktop-capture-source=Entire screen",
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
    ],
  });
  const pages = {};
  try {
    const open = async (name) => {
      const ctx = await browser.newContext({ viewport: { width: 840, height: 560 }, permissions: ["camera", "microphone"] });
      const page = await ctx.newPage();
      page.on("console", (m) => {
        if (report.console.length < 200) report.console.push(`${name} ${m.type()}: ${m.text()}`.slice(0, 300));
      });
      page.on("pageerror", (e) => report.console.push(`${name} pageerror: ${String(e).slice(0, 300)}`));
      await page.goto(`${base}/video-e2e/index.html`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === "1");
      pages[name] = page;
      return page;
    };

    step = "two participants join";
    const [A, B] = await Promise.all([open("a"), open("b")]);
    const t0 = Date.now();
    const [ja, jb] = await Promise.all([
      A.evaluate((j) => window.e2e.join(j, { videoDegradationPreference: "maintain-resolution" }), joins.a),
      // B's media only through the TURN relay of its join answer (which
      // the Go test points at a relay it can cut), whatever the server
      // lists in "joined".
      B.evaluate((j) => window.e2e.join(j, { forceRelay: true, iceServers: j.Meeting.MediaPlacement.IceServers, videoDegradationPreference: "maintain-resolution" }), joins.b),
    ]);
    report.results.a = ja;
    report.results.b = jb;
    done("joined", { ms: Date.now() - t0, a: ja.id, b: jb.id, profile: ja.profile });

    step = "media both ways";
    const bAtA = await waitFor("B's video and audio at A", () => mediaFlows(A, jb.id), 40000, 500);
    const aAtB = await waitFor("A's video and audio at B", () => mediaFlows(B, ja.id), 30000, 500);
    report.results.twoParty = { bAtA, aAtB, firstMediaMs: Date.now() - t0 };
    done("media both ways", report.results.twoParty);
    await shot(A, "1-two-party-a");
    await shot(B, "1-two-party-b");

    step = "chat";
    const sent = await A.evaluate(() => window.e2e.chat("Hello from the e2e test"));
    await waitFor("the chat message at B", () => B.evaluate((id) => window.e2e.events().some((e) => e.name === "chat" && e.participant === id), ja.id), 5000);
    done("chat", sent);

    step = "screen share";
    const screen = await A.evaluate(() => window.e2e.shareScreen());
    report.results.screen = screen;
    const screenAtB = await waitFor("A's screen at B", () => mediaFlows(B, ja.id, { kind: "screen", minWidth: 1, audio: false }), 20000, 500);
    report.results.screenAtB = screenAtB;
    done("screen share", { screen, screenAtB });
    await shot(B, "2-screen-b");
    await A.evaluate(() => window.e2e.stopScreen());
    await waitFor("the screen share to end at B", () => B.evaluate((id) => window.e2e.events().some((e) => e.name === "trackUnsubscribed" && e.participant === id && e.kind === "screen"), ja.id), 10000);
    done("screen share stopped");

    step = "network loss";
    const loadedB = await B.evaluate(() => window.e2e.loadedAt);
    const before = { bAtA: await lastMedia(A, jb.id), aAtB: await lastMedia(B, ja.id) };
    const res = await fetch(control, { method: "POST" });
    if (!res.ok) throw new Error(`outage control answered ${res.status}`);
    const lostAt = Date.now();
    await sleep(outageMs - 500);
    // While B is off the network nothing of it reaches A.
    const during = { bAtA: await lastMedia(A, jb.id) };
    await shot(A, "3-outage-a");
    await waitFor("B to reconnect", () => B.evaluate(() => window.e2e.info().state === "connected" && window.e2e.events().some((e) => e.name === "reconnected")), 30000, 250);
    const reconnectedAfterMs = Date.now() - lostAt;
    const framesBackAfterMs = await waitFor("B's frames at A after the outage", async () => {
      const m = await lastMedia(A, jb.id);
      return m.framesDecoded > during.bAtA.framesDecoded + 5 ? Date.now() - lostAt : null;
    }, 20000, 200);
    const bAtA2 = await waitFor("B's media at A after the outage", async () => {
      const m = await mediaFlows(A, jb.id);
      return m && m.framesDecoded > before.bAtA.framesDecoded ? m : null;
    }, 20000, 500);
    const aAtB2 = await waitFor("A's media at B after the outage", async () => {
      const m = await mediaFlows(B, ja.id);
      return m && m.framesDecoded > before.aAtB.framesDecoded ? m : null;
    }, 20000, 500);
    const infoA = await A.evaluate(() => window.e2e.info());
    const infoB = await B.evaluate(() => window.e2e.info());
    const evB = await B.evaluate(() => window.e2e.events().filter((e) => e.name === "reconnecting" || e.name === "reconnected"));
    report.results.outage = {
      outageMs, reconnectedAfterMs, framesBackAfterMs, before, during, bAtA: bAtA2, aAtB: aAtB2, eventsB: evB,
      sameParticipant: infoB.id === jb.id, reloaded: (await B.evaluate(() => window.e2e.loadedAt)) !== loadedB,
      remoteAtA: infoA.remote.map((p) => p.id),
    };
    done("media resumed after the outage", report.results.outage);
    await shot(A, "4-after-outage-a");
    await shot(B, "4-after-outage-b");

    step = "third participant";
    const C = await open("c");
    const jc = await C.evaluate((j) => window.e2e.join(j, { videoDegradationPreference: "maintain-resolution" }), joins.c);
    report.results.c = jc;
    const aAtC = await waitFor("A's video at C", () => mediaFlows(C, ja.id, { minWidth: 1 }), 30000, 500);
    const bAtC = await waitFor("B's video at C", () => mediaFlows(C, jb.id, { minWidth: 1 }), 30000, 500);
    // The camera is now sent with the profile's simulcast encodings: one
    // outbound-rtp per rid. How many of them carry packets is the
    // browser's bandwidth estimate's decision.
    const layers = async (page) => {
      const s = await page.evaluate(() => window.e2e.stats());
      const cam = s.outbound.filter((o) => o.kind === "camera" && o.rid);
      return { rids: [...new Set(cam.map((o) => o.rid))].sort(), sending: cam.filter((o) => o.packetsSent > 0).map((o) => ({ rid: o.rid, width: o.frameWidth, packets: o.packetsSent })), uplinkKbps: Math.round((s.connection?.availableOutgoingBitrate ?? 0) / 1000) };
    };
    const simulcast = async (page) => {
      const l = await layers(page);
      return l.rids.length > 1 && l.sending.length > 0 ? l : null;
    };
    let simA = await waitFor("A's camera in simulcast", () => simulcast(A), 20000, 500);
    let simB = await waitFor("B's camera in simulcast", () => simulcast(B), 20000, 500);
    // Give the estimate a few seconds to open the upper layers.
    for (let i = 0; i < 10 && (simA.sending.length < 2 || simB.sending.length < 2); i++) {
      await sleep(1000);
      [simA, simB] = [await layers(A), await layers(B)];
    }
    const profiles = await Promise.all([A, B, C].map((p) => p.evaluate(() => window.e2e.info().profile)));
    report.results.three = { aAtC, bAtC, simA, simB, profiles, cAtA: await waitFor("C's video at A", () => mediaFlows(A, jc.id, { minWidth: 1 }), 20000, 500) };
    done("simulcast with three", report.results.three);
    await shot(A, "5-three-a");
    await shot(C, "5-three-c");

    step = "leave";
    await Promise.all(Object.values(pages).map((p) => p.evaluate(() => window.e2e.leave())));
    done("left");
    report.results.eventsA = await A.evaluate(() => window.e2e.events().filter((e) => e.name !== "networkQuality" && e.name !== "activeSpeaker"));
    report.ok = true;
  } catch (err) {
    // Diagnostics for a failed run: what each page saw last.
    report.diag = {};
    for (const [name, page] of Object.entries(pages)) {
      report.diag[name] = await page
        .evaluate(async () => {
          const s = await window.e2e.stats().catch(() => null);
          const brief = (x) => Object.fromEntries(Object.entries(x).filter(([k]) => ["participantId", "kind", "rid", "mid", "packetsSent", "bytesSent", "framesEncoded", "framesDecoded", "frameWidth", "frameHeight", "qualityLimitationReason", "active", "packetsReceived", "targetBitrate"].includes(k)));
          return {
            info: window.e2e.info(),
            outbound: s?.outbound.map(brief), inbound: s?.inbound.map(brief), connection: s?.connection,
            events: window.e2e.events().filter((e) => e.name !== "networkQuality" && e.name !== "activeSpeaker").slice(-12),
          };
        })
        .catch((e) => String(e));
    }
    throw err;
  } finally {
    await browser.close().catch(() => {});
  }
}

main()
  .catch((err) => {
    report.ok = false;
    report.error = `${step}: ${err && err.message ? err.message : String(err)}`;
  })
  .finally(() => {
    report.ms = Date.now() - started;
    console.log(JSON.stringify(report));
    process.exit(report.ok ? 0 : 1);
  });
