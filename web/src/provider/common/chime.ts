// The arrival chime: two soft notes made with the Web Audio API (no sound
// file to download). Browsers only allow sound after the user has touched
// the page, so the audio context is unlocked on the first click or key.
type AudioCtor = typeof AudioContext;

let ctx: AudioContext | null = null;

function audio(): AudioContext | null {
  if (ctx) return ctx;
  const AC: AudioCtor | undefined = (globalThis as any).AudioContext ?? (globalThis as any).webkitAudioContext;
  if (!AC) return null;
  try {
    ctx = new AC();
  } catch {
    return null;
  }
  return ctx;
}

/** Unlocks sound on the next user gesture; returns a function that stops listening. */
export function primeChime(): () => void {
  const unlock = () => {
    const c = audio();
    if (c?.state === "suspended") void c.resume().catch(() => undefined);
    stop();
  };
  const stop = () => {
    window.removeEventListener("pointerdown", unlock);
    window.removeEventListener("keydown", unlock);
  };
  window.addEventListener("pointerdown", unlock);
  window.addEventListener("keydown", unlock);
  return stop;
}

/** Plays the chime (a rising E5–A5, half a second). Silently does nothing without Web Audio. */
export function playChime(): void {
  const c = audio();
  if (!c) return;
  try {
    if (c.state === "suspended") void c.resume().catch(() => undefined);
    const t0 = c.currentTime + 0.02;
    [659.25, 880].forEach((freq, i) => {
      const osc = c.createOscillator();
      const gain = c.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const t = t0 + i * 0.18;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.45);
      osc.connect(gain);
      gain.connect(c.destination);
      osc.start(t);
      osc.stop(t + 0.5);
    });
  } catch {
    // Sound is a courtesy; the visible notice is what counts.
  }
}

const SOUND_KEY = "housecall.board.sound";

/** Whether the provider wants the chime (on unless turned off). */
export function soundEnabled(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) !== "off";
  } catch {
    return true;
  }
}

export function setSoundEnabled(on: boolean): void {
  try {
    localStorage.setItem(SOUND_KEY, on ? "on" : "off");
  } catch {
    // Without storage the choice lasts for this page only.
  }
}
