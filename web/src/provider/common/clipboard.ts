// Copying a link: the asynchronous Clipboard API where the browser offers
// it (secure pages), else the old selection + execCommand way.

/** Copies text; returns false when the browser refused (the caller then asks for Ctrl+C). */
export async function copyText(text: string, field?: HTMLInputElement | HTMLTextAreaElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission, not focused): try the fallback.
  }
  let temp: HTMLTextAreaElement | null = null;
  try {
    let el = field ?? null;
    if (!el) {
      temp = document.createElement("textarea");
      temp.value = text;
      temp.setAttribute("readonly", "");
      temp.style.position = "fixed";
      temp.style.opacity = "0";
      document.body.appendChild(temp);
      el = temp;
    }
    el.focus();
    el.select();
    return typeof document.execCommand === "function" && document.execCommand("copy");
  } catch {
    return false;
  } finally {
    temp?.remove();
  }
}
