import type { ReactNode } from "react";
import AppBar from "@mui/material/AppBar";
import Box from "@mui/material/Box";
import Container from "@mui/material/Container";
import Toolbar from "@mui/material/Toolbar";
import Typography from "@mui/material/Typography";
import { RouterLink } from "../router";

/** The page frame: a quiet top bar, a skip link, and the main landmark. */
export function Shell(props: { children: ReactNode; actions?: ReactNode; maxWidth?: "sm" | "md" | "lg" | "xl" | false; title?: string }) {
  return (
    <Box sx={{ minHeight: "100vh", display: "flex", flexDirection: "column", bgcolor: "background.default" }}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppBar position="static" sx={{ borderBottom: 1, borderColor: "divider", bgcolor: "background.paper" }}>
        <Toolbar sx={{ gap: 2 }}>
          <Typography component={RouterLink} href="/" variant="h3" sx={{ color: "primary.main", textDecoration: "none", mr: "auto" }}>
            Housecall{props.title ? <Box component="span" sx={{ color: "text.secondary", fontWeight: 400 }}> · {props.title}</Box> : null}
          </Typography>
          {props.actions}
        </Toolbar>
      </AppBar>
      <Container id="main" component="main" tabIndex={-1} maxWidth={props.maxWidth ?? "md"} sx={{ py: { xs: 2, sm: 4 }, flex: 1, outline: "none" }}>
        {props.children}
      </Container>
    </Box>
  );
}
