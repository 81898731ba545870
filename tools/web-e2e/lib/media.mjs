// Proof that a page decodes someone's video: the inbound-rtp statistics of
// the page's own RTCPeerConnections (framesDecoded rising, frameWidth > 0)
// and the <video data-testid="remote-video"> elements the call UI renders
// (videoWidth > 0, currentTime advancing).

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sample(page) {
  return page.evaluate(async () => {
    const inbound = [];
    for (const [i, pc] of (window.__e2ePCs || []).entries()) {
      if (pc.connectionState === "closed") continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") {
          inbound.push({ key: `${i}/${s.id}`, framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0 });
        }
      });
    }
    const videos = [...document.querySelectorAll('video[data-testid="remote-video"]')].map((v, i) => ({
      key: String(i), videoWidth: v.videoWidth, videoHeight: v.videoHeight, currentTime: v.currentTime,
    }));
    return { inbound, videos };
  });
}

/**
 * One measurement over intervalMs: the video streams that decoded frames
 * in between (with their size) and the remote <video> elements that played.
 */
export async function decoding(page, intervalMs = 1000) {
  const a = await sample(page);
  await sleep(intervalMs);
  const b = await sample(page);
  const streams = b.inbound
    .map((s) => ({ ...s, framesDelta: s.framesDecoded - (a.inbound.find((x) => x.key === s.key)?.framesDecoded ?? 0) }))
    .filter((s) => s.framesDelta > 0 && s.frameWidth > 0)
    .map(({ framesDecoded, framesDelta, frameWidth, frameHeight }) => ({ framesDecoded, framesDelta, frameWidth, frameHeight }));
  const videos = b.videos
    .filter((v) => v.videoWidth > 0 && v.currentTime > (a.videos.find((x) => x.key === v.key)?.currentTime ?? Infinity))
    .map(({ videoWidth, videoHeight }) => ({ videoWidth, videoHeight }));
  return { streams, videos, remoteVideoElements: b.videos.length };
}

/** Waits until the page decodes at least `want` video streams and shows as many playing remote videos. */
export async function waitForVideo(page, who, { want = 1, timeoutMs = 30000 } = {}) {
  const end = Date.now() + timeoutMs;
  let last = { streams: [], videos: [], remoteVideoElements: 0 };
  while (Date.now() < end) {
    last = await decoding(page);
    if (last.streams.length >= want && last.videos.length >= want) return last;
  }
  throw new Error(
    `${who} does not decode ${want} remote video stream(s) within ${timeoutMs} ms: ` +
      `${last.streams.length} stream(s) with new frames (inbound-rtp), ${last.videos.length} of ${last.remoteVideoElements} ` +
      `<video data-testid="remote-video"> playing`,
  );
}
