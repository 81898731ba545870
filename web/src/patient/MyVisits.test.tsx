import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import type { Fhir } from "../api/fhir";
import { MyVisits, startOfToday } from "./MyVisits";

function at(daysFromNow: number, hour: number): string {
  const d = new Date();
  d.setDate(d.getDate() + daysFromNow);
  d.setHours(hour, 30, 0, 0);
  return d.toISOString();
}

describe("my visits", () => {
  it("lists today's and upcoming visits with Join for today's open ones", async () => {
    const enc = (id: string, status: string, start: string) => ({
      resourceType: "Encounter",
      id,
      status,
      period: { start },
      participant: [{ individual: { reference: "Practitioner/5", display: "Dr Lee" } }],
    });
    const searchAll = vi.fn(async () => ({
      matches: [enc("later", "planned", at(2, 9)), enc("now", "planned", at(0, 23)), enc("done", "finished", at(0, 0))],
      included: [],
    }));
    render(<MyVisits fhir={{ searchAll } as unknown as Fhir} patientId="p1" name="Ana López" />);
    expect(screen.getByRole("heading", { name: "Hello, Ana" })).toBeTruthy();
    await screen.findByRole("heading", { name: "Today" });
    expect(searchAll).toHaveBeenCalledWith("Encounter", { subject: "Patient/p1", date: `ge${startOfToday().toISOString()}`, _sort: "date", _count: 50 });

    const today = screen.getByRole("region", { name: "Today" });
    const articles = within(today).getAllByRole("article");
    expect(articles).toHaveLength(2);
    expect(within(articles[0]).getByRole("button", { name: "See summary" })).toBeTruthy();
    expect(within(articles[1]).getByRole("button", { name: "Join" })).toBeTruthy();
    expect(within(articles[1]).getByText("Video visit with Dr Lee")).toBeTruthy();

    const upcoming = screen.getByRole("region", { name: "Upcoming" });
    expect(within(upcoming).getAllByRole("article")).toHaveLength(1);
    expect(within(upcoming).queryByRole("button", { name: "Join" })).toBeNull();
  });
});
