package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/housecall/housecall/internal/audit"
)

// auditCmd runs "housecall audit verify".
func auditCmd(ctx context.Context, args, environ []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(`usage: housecall audit verify [--data-dir DIR | --database-url URL]`)
	}
	cfg, extra, err := loadConfig("audit verify", args[1:], environ)
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return fmt.Errorf("audit verify takes no arguments, got %q", extra)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := audit.VerifyStore(ctx, st)
	if rep.Broken != nil {
		fmt.Fprintf(stdout, "audit trail BROKEN at seq %d (AuditEvent/%s): %s\n", rep.Broken.Seq, rep.Broken.ID, rep.Broken.Reason)
		fmt.Fprintf(stdout, "%d events before it verified\n", rep.Checked)
		return errors.New("the audit trail has been tampered with")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit trail intact: %d events, head seq %d hash %s\n", rep.Checked, rep.Head.Seq, rep.Head.Hash)
	return nil
}
