// Dates and times are shown in the viewer's own time zone and locale.

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function parse(v: string | number | Date | undefined | null): Date | null {
  if (v === undefined || v === null || v === "") return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatTime(v: string | number | Date | undefined | null): string {
  const d = parse(v);
  return d ? timeFmt.format(d) : "";
}

export function formatDateTime(v: string | number | Date | undefined | null): string {
  const d = parse(v);
  return d ? dateTimeFmt.format(d) : "";
}

export function formatDate(v: string | number | Date | undefined | null): string {
  const d = parse(v);
  return d ? dateFmt.format(d) : "";
}

/** "4 min", "1 h 05 min": how long since `since`, for waiting times. */
export function formatWaited(since: string | number | Date | undefined | null, now: number = Date.now()): string {
  const d = parse(since);
  if (!d) return "";
  const mins = Math.max(0, Math.floor((now - d.getTime()) / 60000));
  if (mins < 1) return "just now";
  if (mins < 60) return `${mins} min`;
  const h = Math.floor(mins / 60);
  return `${h} h ${String(mins % 60).padStart(2, "0")} min`;
}

/** The viewer's time zone name, shown next to schedules. */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
