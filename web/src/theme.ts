import { createTheme } from "@mui/material/styles";

// Calm and clean: white and greys with one soothing teal accent. Every
// foreground/background pair here meets WCAG AA (4.5:1 for text).
export const theme = createTheme({
  palette: {
    mode: "light",
    primary: { main: "#0f766e", dark: "#115e59", light: "#ccfbf1", contrastText: "#ffffff" }, // 5.5:1 on white
    secondary: { main: "#475569", contrastText: "#ffffff" },
    background: { default: "#f6f7f9", paper: "#ffffff" },
    text: { primary: "#1f2937", secondary: "#4b5563" }, // 14.7:1 and 7.6:1 on white
    error: { main: "#b91c1c" },
    warning: { main: "#92400e" },
    success: { main: "#166534" },
    divider: "#e5e7eb",
  },
  shape: { borderRadius: 10 },
  typography: {
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    h1: { fontSize: "1.75rem", fontWeight: 600 },
    h2: { fontSize: "1.375rem", fontWeight: 600 },
    h3: { fontSize: "1.125rem", fontWeight: 600 },
    button: { textTransform: "none", fontWeight: 600 },
  },
  components: {
    MuiButton: { defaultProps: { disableElevation: true } },
    MuiPaper: { defaultProps: { elevation: 0 }, styleOverrides: { root: { border: "1px solid #e5e7eb" } } },
    MuiAppBar: { defaultProps: { elevation: 0, color: "inherit" } },
    // Visible focus for keyboard users everywhere.
    MuiButtonBase: { styleOverrides: { root: { "&.Mui-focusVisible": { outline: "3px solid #0f766e", outlineOffset: 2 } } } },
  },
});
