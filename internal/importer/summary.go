package importer

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/fhir"
)

// MaxKeptErrors bounds Summary.Errors so that a huge broken file cannot
// exhaust memory; errors beyond it are only counted in MoreErrors.
const MaxKeptErrors = 10000

// ImportError is one resource (or file) that was not imported.
type ImportError struct {
	File  string // path of the file
	Line  int    // 1-based NDJSON line; 0 when not line-based
	Entry int    // 0-based Bundle entry index; -1 when not from a Bundle
	Type  string // resource type, when known
	ID    string // resource id, when known
	// Issue is the first error found; its Diagnostics never carry PHI
	// values (see fhir.Issue).
	Issue fhir.Issue
}

// Location is "file:line", "file: entry[i]" or "file".
func (e ImportError) Location() string {
	switch {
	case e.Line > 0:
		return e.File + ":" + strconv.Itoa(e.Line)
	case e.Entry >= 0:
		return e.File + ": entry[" + strconv.Itoa(e.Entry) + "]"
	}
	return e.File
}

// Error formats "file:line: Type/id: expression diagnostics".
func (e ImportError) Error() string {
	var b strings.Builder
	b.WriteString(e.Location())
	b.WriteString(": ")
	if e.Type != "" {
		b.WriteString(e.Type)
		if e.ID != "" {
			b.WriteString("/")
			b.WriteString(e.ID)
		}
		b.WriteString(": ")
	}
	if e.Issue.Expression != "" {
		b.WriteString(e.Issue.Expression)
		b.WriteString(" ")
	}
	b.WriteString(e.Issue.Diagnostics)
	return b.String()
}

// Summary reports what an import did.
type Summary struct {
	Files     int            // files read
	Resources int            // resources stored
	ByType    map[string]int // resources stored per type
	// Errors lists resources and files that were not imported, in input
	// order, up to MaxKeptErrors; MoreErrors counts the rest.
	Errors     []ImportError
	MoreErrors int
	Skipped    int // files skipped because of their name (not .ndjson[.gz] / .json[.gz])
	Duration   time.Duration
}

// ErrorCount is the number of resources and files that failed.
func (s Summary) ErrorCount() int { return len(s.Errors) + s.MoreErrors }

// Rate is the number of resources stored per second.
func (s Summary) Rate() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Resources) / s.Duration.Seconds()
}

// summaryErrorLines bounds the errors String prints; the rest are counted.
const summaryErrorLines = 50

// String is the multi-line report printed by "housecall import".
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Imported %s resources from %s in %s (%s resources/s)\n",
		group(int64(s.Resources)), plural(s.Files, "file"), s.Duration.Round(time.Millisecond), group(int64(s.Rate()+0.5)))
	if len(s.ByType) > 0 {
		types := make([]string, 0, len(s.ByType))
		width := 0
		for t := range s.ByType {
			types = append(types, t)
			width = max(width, len(t))
		}
		sort.Strings(types)
		for _, t := range types {
			fmt.Fprintf(&b, "  %-*s %10s\n", width, t, group(int64(s.ByType[t])))
		}
	}
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "Skipped %s (not .ndjson, .ndjson.gz, .json or .json.gz)\n", plural(s.Skipped, "file"))
	}
	if n := s.ErrorCount(); n > 0 {
		fmt.Fprintf(&b, "%s not imported:\n", plural(n, "error"))
		for i, e := range s.Errors {
			if i == summaryErrorLines {
				break
			}
			b.WriteString("  ")
			b.WriteString(e.Error())
			b.WriteString("\n")
		}
		if n > summaryErrorLines {
			fmt.Fprintf(&b, "  ... and %s more\n", group(int64(n-summaryErrorLines)))
		}
	} else {
		b.WriteString("No errors.\n")
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return group(int64(n)) + " " + word + "s"
}

// group formats n with thousands separators: 12345 -> "12,345".
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
