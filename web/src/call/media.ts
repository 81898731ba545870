// Browser media helpers the SDK leaves to apps: listing devices for the
// pickers, choosing the speaker (setSinkId, where the browser has it), a
// test sound, and whether screen sharing is possible here.

export interface DeviceOption {
  deviceId: string;
  label: string;
}

export interface DeviceLists {
  cameras: DeviceOption[];
  microphones: DeviceOption[];
  speakers: DeviceOption[];
}

type MediaDevicesLike = Pick<MediaDevices, "enumerateDevices">;

function mediaDevices(): MediaDevices | undefined {
  return typeof navigator === "undefined" ? undefined : navigator.mediaDevices;
}

/** Names devices the browser left unlabelled ("Camera 2"). */
export function labelDevices(list: { deviceId: string; label: string }[], noun: string): DeviceOption[] {
  return list
    .filter((d) => d.deviceId !== "")
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${noun} ${i + 1}` }));
}

/** The cameras, microphones and speakers the browser reports (labels need permission). */
export async function listDevices(md: MediaDevicesLike | undefined = mediaDevices()): Promise<DeviceLists> {
  if (!md) return { cameras: [], microphones: [], speakers: [] };
  let all: MediaDeviceInfo[] = [];
  try {
    all = await md.enumerateDevices();
  } catch {
    all = [];
  }
  return {
    cameras: labelDevices(all.filter((d) => d.kind === "videoinput"), "Camera"),
    microphones: labelDevices(all.filter((d) => d.kind === "audioinput"), "Microphone"),
    speakers: labelDevices(all.filter((d) => d.kind === "audiooutput"), "Speaker"),
  };
}

/** Calls fn when a device is plugged in or out; returns the unsubscribe. */
export function onDeviceChange(fn: () => void, md: MediaDevices | undefined = mediaDevices()): () => void {
  if (!md?.addEventListener) return () => {};
  md.addEventListener("devicechange", fn);
  return () => md.removeEventListener("devicechange", fn);
}

/** Whether this browser can send audio to a chosen speaker. */
export function supportsSpeakerChoice(): boolean {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

type SinkElement = HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };

/** Plays an element on the chosen speaker ("" = the system default). Unsupported browsers keep the default. */
export async function setSpeaker(el: HTMLMediaElement, deviceId: string): Promise<void> {
  const s = el as SinkElement;
  if (typeof s.setSinkId !== "function") return;
  try {
    await s.setSinkId(deviceId);
  } catch {
    /* the device vanished: the default speaker plays */
  }
}

/** Whether screen sharing is available (desktop browsers; phones cannot share their screen from a page). */
export function canShareScreen(): boolean {
  const md = mediaDevices();
  return !!md && typeof md.getDisplayMedia === "function";
}

type AudioContextCtor = typeof AudioContext;

/**
 * Plays a short three-note chime on the chosen speaker so a person can
 * check they hear the visit. Resolves when it has finished.
 */
export async function playTestSound(speakerId = ""): Promise<void> {
  const g = globalThis as unknown as { AudioContext?: AudioContextCtor; webkitAudioContext?: AudioContextCtor };
  const AC = g.AudioContext ?? g.webkitAudioContext;
  if (!AC) throw new Error("This browser cannot play a test sound.");
  const ctx = new AC();
  let el: SinkElement | null = null;
  try {
    await ctx.resume?.();
    let out: AudioNode = ctx.destination;
    if (speakerId && supportsSpeakerChoice() && typeof ctx.createMediaStreamDestination === "function") {
      // Route through a media element: it, unlike the context, can pick the speaker everywhere setSinkId exists.
      const dest = ctx.createMediaStreamDestination();
      el = new Audio() as SinkElement;
      el.srcObject = dest.stream;
      await setSpeaker(el, speakerId);
      await el.play();
      out = dest;
    }
    const start = ctx.currentTime + 0.05;
    [523.25, 659.25, 783.99].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const t = start + i * 0.3;
      gain.gain.setValueAtTime(0, t);
      gain.gain.linearRampToValueAtTime(0.3, t + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.001, t + 0.6);
      osc.connect(gain).connect(out);
      osc.start(t);
      osc.stop(t + 0.65);
    });
    await new Promise((r) => setTimeout(r, 1_400));
  } finally {
    if (el) {
      el.pause();
      el.srcObject = null;
    }
    void ctx.close().catch(() => {});
  }
}
