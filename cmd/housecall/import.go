package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/housecall/housecall/internal/importer"
)

func importCmd(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cfg, paths, err := loadConfig("import", args, environ)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return errors.New("import: name at least one NDJSON file, Bundle file or folder")
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := importer.Run(ctx, paths, importer.Options{Store: st, Progress: stderr})
	fmt.Fprintln(stdout, sum.String())
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if len(sum.Errors) > 0 {
		return fmt.Errorf("import: %d resources were rejected", len(sum.Errors))
	}
	return nil
}
