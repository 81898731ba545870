// Command housecall is the Housecall server and its operations tool. main
// only parses the command line; the work happens in internal packages.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Housecall — self-hosted telehealth: FHIR R4 server, video visits.

Usage:
  housecall serve   [--addr HOST:PORT] [--data-dir DIR] [--database-url URL] [--public-url URL] [--dev]
  housecall import  [--data-dir DIR | --database-url URL] PATH...
  housecall migrate [--data-dir DIR | --database-url URL]
  housecall admin create-user --email EMAIL --role ROLE [--fhir-resource Type/id] --password-stdin
  housecall admin create-client --name NAME --scope SCOPES [--redirect-uri URL]... [--public] [--jwks FILE]
  housecall admin token --user EMAIL [--scope SCOPES] [--ttl DURATION]
  housecall admin list-users | disable-user --email EMAIL | reset-totp --email EMAIL
  housecall audit verify [--data-dir DIR | --database-url URL]
  housecall version

Every flag can also be set as a HOUSECALL_* environment variable (e.g.
HOUSECALL_DATABASE_URL) or in a JSON file named with --config. Run
"housecall COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, environ, stderr)
	case "import":
		err = importCmd(ctx, rest, environ, stdout, stderr)
	case "migrate":
		err = migrate(ctx, rest, environ, stdout)
	case "audit":
		err = auditCmd(ctx, rest, environ, stdout)
	case "admin":
		err = adminCmd(ctx, rest, environ, os.Stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "housecall", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "housecall: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "housecall:", err)
		return 1
	}
	return 0
}
