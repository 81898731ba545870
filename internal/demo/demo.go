// Package demo loads the small, fictional data set that `housecall serve
// --dev` starts with: an organisation, two practitioners, three patients and
// a few visits, so that every screen and API has something to show. Loading
// is idempotent (a transaction of PUTs with fixed ids).
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"

	"github.com/housecall/housecall/internal/fhir/rest"
)

//go:embed demo-bundle.json
var bundle []byte

// Load stores the demo data through the FHIR engine.
func Load(ctx context.Context, e *rest.Engine) (int, error) {
	resp, err := e.Do(ctx, &rest.Request{Interaction: rest.Batch, Method: http.MethodPost, Body: bundle})
	if err != nil {
		return 0, fmt.Errorf("loading demo data: %w", err)
	}
	entries, _ := resp.Resource["entry"].([]any)
	return len(entries), nil
}
