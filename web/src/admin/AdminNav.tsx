import Box from "@mui/material/Box";
import { RouterLink } from "../router";

export const SECTIONS = [
  { path: "/admin/users", label: "Users" },
  { path: "/admin/clients", label: "API clients" },
  { path: "/admin/webhooks", label: "Webhooks" },
  { path: "/admin/audit", label: "Audit trail" },
] as const;

/** The admin sections as links (a tab look, but plain navigation: each is its own address). */
export function AdminNav(props: { current: string }) {
  return (
    <Box component="nav" aria-label="Administration" sx={{ borderBottom: 1, borderColor: "divider", mb: 3, overflowX: "auto" }}>
      <Box component="ul" sx={{ display: "flex", gap: 0.5, listStyle: "none", m: 0, p: 0 }}>
        {SECTIONS.map((s) => {
          const active = s.path === props.current;
          return (
            <li key={s.path}>
              <Box
                component={RouterLink}
                href={s.path}
                aria-current={active ? "page" : undefined}
                sx={{
                  display: "block",
                  px: 2,
                  py: 1.5,
                  whiteSpace: "nowrap",
                  fontWeight: 600,
                  textDecoration: "none",
                  color: active ? "primary.main" : "text.secondary",
                  borderBottom: 3,
                  borderColor: active ? "primary.main" : "transparent",
                  borderRadius: "4px 4px 0 0",
                  "&:hover": { color: "primary.dark", bgcolor: "action.hover" },
                  "&:focus-visible": { outline: "3px solid #0f766e", outlineOffset: -3 },
                }}
              >
                {s.label}
              </Box>
            </li>
          );
        })}
      </Box>
    </Box>
  );
}
