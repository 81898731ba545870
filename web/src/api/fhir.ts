// Small FHIR R4 helpers over Http: read, search (following Bundle pages),
// create, update, JSON Patch. Resources are plain objects.
import type { Http } from "./http";

export const FHIR_BASE = "/fhir/r4";

export type Resource = { resourceType: string; id?: string; meta?: { versionId?: string; lastUpdated?: string }; [k: string]: any };

export interface Bundle<T = Resource> {
  resourceType: "Bundle";
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: { resource: T; search?: { mode?: string } }[];
}

export type SearchParams = Record<string, string | number | (string | number)[] | undefined>;

export function query(params: SearchParams): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export class Fhir {
  constructor(private readonly http: Http) {}

  read<T extends Resource = Resource>(type: string, id: string): Promise<T> {
    return this.http.get<T>(`${FHIR_BASE}/${type}/${encodeURIComponent(id)}`);
  }

  /** One page of a search. */
  search<T extends Resource = Resource>(type: string, params: SearchParams = {}): Promise<Bundle<T>> {
    return this.http.get<Bundle<T>>(`${FHIR_BASE}/${type}${query(params)}`);
  }

  /** Match and include entries of one page, split by type. */
  async searchAll<T extends Resource = Resource>(type: string, params: SearchParams = {}, maxPages = 10): Promise<{ matches: T[]; included: Resource[] }> {
    const matches: T[] = [];
    const included: Resource[] = [];
    let bundle = await this.search<T>(type, params);
    for (let page = 0; ; page++) {
      for (const e of bundle.entry ?? []) {
        if (e.search?.mode === "include") included.push(e.resource);
        else if (e.search?.mode !== "outcome") matches.push(e.resource);
      }
      const next = bundle.link?.find((l) => l.relation === "next")?.url;
      if (!next || page + 1 >= maxPages) break;
      const u = new URL(next, window.location.origin);
      bundle = await this.http.get<Bundle<T>>(u.pathname + u.search);
    }
    return { matches, included };
  }

  create<T extends Resource>(res: T): Promise<T> {
    return this.http.post<T>(`${FHIR_BASE}/${res.resourceType}`, res, { contentType: "application/fhir+json", headers: { Prefer: "return=representation" } });
  }

  update<T extends Resource>(res: T): Promise<T> {
    const headers: Record<string, string> = { Prefer: "return=representation" };
    if (res.meta?.versionId) headers["If-Match"] = `W/"${res.meta.versionId}"`;
    return this.http.put<T>(`${FHIR_BASE}/${res.resourceType}/${encodeURIComponent(res.id ?? "")}`, res, { contentType: "application/fhir+json", headers });
  }

  patch<T extends Resource>(type: string, id: string, ops: unknown[]): Promise<T> {
    return this.http.request<T>("PATCH", `${FHIR_BASE}/${type}/${encodeURIComponent(id)}`, {
      body: ops,
      contentType: "application/json-patch+json",
      headers: { Prefer: "return=representation" },
    });
  }
}

/** "Patient/123" → ["Patient", "123"]. */
export function splitRef(ref: string | undefined): [string, string] | null {
  if (!ref) return null;
  const parts = ref.split("/");
  if (parts.length < 2) return null;
  return [parts[parts.length - 2], parts[parts.length - 1]];
}

/** A person's display name from HumanName[] (or the resource's). */
export function displayName(r: Resource | { name?: unknown } | undefined | null): string {
  const names = (r as { name?: any } | null | undefined)?.name;
  if (!Array.isArray(names) || names.length === 0) return typeof names === "string" ? names : "";
  const n = names.find((x: any) => x.use === "official") ?? names[0];
  if (n.text) return n.text;
  const given = Array.isArray(n.given) ? n.given.join(" ") : "";
  return [n.prefix?.join?.(" "), given, n.family].filter(Boolean).join(" ").trim();
}
