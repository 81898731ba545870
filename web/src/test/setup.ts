import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

// jsdom does not implement scrolling; navigation calls it.
window.scrollTo = (() => undefined) as typeof window.scrollTo;
