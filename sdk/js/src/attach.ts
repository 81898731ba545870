// attach(): shows a track in a media element and, for remote video, keeps
// the server informed of the size it is rendered at (ResizeObserver) and of
// whether it is visible at all (IntersectionObserver, page visibility), so
// the SFU forwards the simulcast layer that fits and pauses what nobody
// sees.

import type { RemoteTrack } from "./participants.js";

export interface AttachOptions {
  /** Milliseconds to wait for the size to settle before reporting (default 250). */
  debounceMs?: number;
  /** Mute the element (default: true for video elements, false for audio). */
  muted?: boolean;
}

interface Sized {
  w: number;
  h: number;
  paused: boolean;
}

export function attachVideo(track: RemoteTrack, el: HTMLMediaElement, opts: AttachOptions = {}): () => void {
  const g = globalThis as unknown as {
    ResizeObserver?: typeof ResizeObserver;
    IntersectionObserver?: typeof IntersectionObserver;
    document?: Document;
    devicePixelRatio?: number;
    MediaStream?: typeof MediaStream;
  };
  const stream = track.stream ?? (g.MediaStream ? new g.MediaStream([track.mediaStreamTrack]) : null);
  el.srcObject = stream;
  el.autoplay = true;
  if ("playsInline" in el) (el as HTMLVideoElement).playsInline = true;
  el.muted = opts.muted ?? el.tagName === "VIDEO";
  void el.play?.()?.catch(() => {
    /* autoplay refused: the app shows a play button */
  });
  if (!track.isVideo) {
    return () => {
      if (el.srcObject === stream) el.srcObject = null;
    };
  }

  const debounce = opts.debounceMs ?? 250;
  let visible = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: Sized | null = null;
  const measure = (): Sized => {
    const dpr = g.devicePixelRatio || 1;
    const w = Math.round((el.clientWidth || 0) * dpr);
    const h = Math.round((el.clientHeight || 0) * dpr);
    const hidden = g.document?.visibilityState === "hidden";
    return { w, h, paused: !visible || hidden || w === 0 || h === 0 };
  };
  const report = () => {
    timer = undefined;
    const s = measure();
    if (last && last.w === s.w && last.h === s.h && last.paused === s.paused) return;
    last = s;
    track.setRenderedSize(s.w, s.h, s.paused);
  };
  const schedule = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(report, debounce);
  };

  const ro = g.ResizeObserver ? new g.ResizeObserver(schedule) : null;
  ro?.observe(el);
  const io = g.IntersectionObserver
    ? new g.IntersectionObserver((entries) => {
        for (const e of entries) visible = e.isIntersecting;
        schedule();
      })
    : null;
  io?.observe(el);
  const onVisibility = () => schedule();
  g.document?.addEventListener("visibilitychange", onVisibility);
  schedule();

  return () => {
    if (timer !== undefined) clearTimeout(timer);
    ro?.disconnect();
    io?.disconnect();
    g.document?.removeEventListener("visibilitychange", onVisibility);
    if (el.srcObject === stream) el.srcObject = null;
    track.setRenderedSize(0, 0, true);
  };
}

/**
 * Shows a track in a media element: a RemoteTrack (reporting its rendered
 * size for simulcast) or a local MediaStreamTrack (a self-view, muted).
 * Returns a function that detaches it.
 */
export function attach(track: RemoteTrack | MediaStreamTrack, el: HTMLMediaElement, opts?: AttachOptions): () => void {
  if ("participant" in track) return track.attach(el, opts);
  const stream = new MediaStream([track]);
  el.srcObject = stream;
  el.autoplay = true;
  el.muted = true;
  if ("playsInline" in el) (el as HTMLVideoElement).playsInline = true;
  void el.play?.()?.catch(() => {});
  return () => {
    if (el.srcObject === stream) el.srcObject = null;
  };
}
