// Moving between steps of the visit replaces the whole page: focus goes to
// the main region so that keyboard and screen-reader users start at the new
// step's heading instead of a button that no longer exists.
import { useEffect, useRef } from "react";

export function useFocusMainOnChange(key: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("main")?.focus();
  }, [key]);
}
