import { useEffect, useMemo, useRef, useState } from "react";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import NavigateBeforeIcon from "@mui/icons-material/NavigateBefore";
import NavigateNextIcon from "@mui/icons-material/NavigateNext";
import { type Bundle, FHIR_BASE, type Fhir, type Resource } from "../../api/fhir";
import type { Http } from "../../api/http";
import { ErrorPanel } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import { navigate, useLocation } from "../../router";
import type { AdminApi } from "../api";
import { Empty, PageHeader } from "../common/Frame";
import { useLoad } from "../common/useLoad";
import { AuditFilters } from "./AuditFilters";
import { AuditTable } from "./AuditTable";
import { describeAuditEvent } from "./describe";
import { auditQuery, filterFromSearch, filterToSearch, validateAuditFilter } from "./query";

/** A Bundle link as a same-origin path: the server may write absolute URLs. */
function localPath(url: string): string {
  const u = new URL(url, window.location.origin);
  return u.pathname + u.search;
}

function link(b: Bundle | null, ...rels: string[]): string | null {
  const l = b?.link?.find((x) => rels.includes(x.relation));
  return l?.url ? localPath(l.url) : null;
}

export function AuditPage(props: { api: AdminApi; http: Http; fhir: Fhir }) {
  const { http, api } = props;
  const loc = useLocation();
  const search = loc.search.toString();
  const filter = useMemo(() => filterFromSearch(new URLSearchParams(search)), [search]);
  const users = useLoad(() => api.users());
  const [bundle, setBundle] = useState<Bundle | null>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [nonce, setNonce] = useState(0);
  const run = useRef(0);
  const heading = useRef<HTMLHeadingElement>(null);

  function load(path: string, pageNo: number) {
    const n = ++run.current;
    setLoading(true);
    setError(null);
    http.get<Bundle>(path).then(
      (b) => {
        if (n !== run.current) return;
        setBundle(b);
        setPage(pageNo);
        setLoading(false);
      },
      (e) => {
        if (n !== run.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }

  useEffect(() => {
    if (Object.keys(validateAuditFilter(filter)).length > 0) {
      setBundle(null);
      return;
    }
    load(`${FHIR_BASE}/AuditEvent${auditQuery(filter)}`, 1);
    return () => {
      run.current++;
    };
    // `load` is stable in effect; the filter and explicit re-searches drive this.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filter, nonce]);

  const rows = useMemo(
    () => (bundle?.entry ?? []).filter((e) => e.search?.mode !== "outcome" && e.resource?.resourceType === "AuditEvent").map((e) => describeAuditEvent(e.resource as Resource)),
    [bundle],
  );
  const next = link(bundle, "next");
  const prev = link(bundle, "previous", "prev");

  function go(path: string, pageNo: number) {
    load(path, pageNo);
    heading.current?.scrollIntoView?.({ block: "start" });
  }

  return (
    <>
      <PageHeader title="Audit trail" intro="Every access to the health record and every sign-in, newest first. The trail cannot be changed or deleted." />
      <AuditFilters
        value={filter}
        fhir={props.fhir}
        users={(users.data ?? []).map((u) => u.email)}
        onSearch={(f) => {
          navigate(`/admin/audit${filterToSearch(f)}`);
          setNonce((x) => x + 1);
        }}
      />
      <Typography variant="h2" ref={heading} sx={{ mb: 1 }}>
        Events
      </Typography>
      <div aria-live="polite" aria-busy={loading}>
        {error ? (
          <ErrorPanel error={error} title="The audit trail could not be searched" onRetry={() => setNonce((x) => x + 1)} />
        ) : !bundle ? (
          loading ? <Loading label="Searching the audit trail…" /> : null
        ) : rows.length === 0 ? (
          <Empty>No events match these filters. Try a wider date range or fewer filters.</Empty>
        ) : (
          <>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
              {typeof bundle.total === "number" ? `${bundle.total} events in all. ` : ""}
              Page {page}, showing {rows.length}.{loading ? " Loading…" : ""}
            </Typography>
            <AuditTable rows={rows} />
          </>
        )}
      </div>
      {bundle && (next || prev) ? (
        <Stack component="nav" aria-label="Audit trail pages" direction="row" spacing={1} justifyContent="space-between" sx={{ mt: 2 }}>
          <Button startIcon={<NavigateBeforeIcon aria-hidden />} disabled={!prev || loading} onClick={() => prev && go(prev, Math.max(1, page - 1))}>
            Previous page
          </Button>
          <Button endIcon={<NavigateNextIcon aria-hidden />} disabled={!next || loading} onClick={() => next && go(next, page + 1)}>
            Next page
          </Button>
        </Stack>
      ) : null}
    </>
  );
}
