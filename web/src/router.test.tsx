import { describe, expect, it } from "vitest";
import { act, render, screen } from "@testing-library/react";
import { matchPath, navigate, useLocation } from "./router";

describe("matchPath", () => {
  const cases: [string, string, Record<string, string> | null][] = [
    ["/board", "/board", {}],
    ["/board", "/board/", {}],
    ["/board", "/boards", null],
    ["/board/visit/:id", "/board/visit/abc", { id: "abc" }],
    ["/board/visit/:id", "/board/visit", null],
    ["/board/visit/:id", "/board/visit/a/b", null],
    ["/admin/*", "/admin/users/1", { "*": "users/1" }],
    ["/admin/*", "/admin", { "*": "" }],
    ["/me/visit/:id", "/me/visit/Encounter%2F1", { id: "Encounter/1" }],
  ];
  it.each(cases)("%s vs %s", (pattern, path, want) => {
    expect(matchPath(pattern, path)).toEqual(want);
  });
});

function Where() {
  const loc = useLocation();
  return <p>{loc.pathname + "|" + loc.search.get("q") + "|" + loc.hash}</p>;
}

describe("navigate", () => {
  it("re-renders subscribers with the new location", () => {
    render(<Where />);
    act(() => navigate("/board?q=1#x"));
    expect(screen.getByText("/board|1|#x")).toBeTruthy();
    act(() => navigate("/admin", { replace: true }));
    expect(screen.getByText("/admin|null|")).toBeTruthy();
  });
});
