// Package demo loads the small, fictional data set that `housecall serve
// --dev` starts with: an organisation, two practitioners, three patients and
// a few visits, so that every screen and API has something to show. It is
// loaded once (a transaction of PUTs with fixed ids); later starts keep what
// is there, including changes made while trying the server out.
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

// Load stores the demo data through the FHIR engine unless it is already
// there, and reports how many resources it stored.
func Load(ctx context.Context, e *rest.Engine) (int, error) {
	if _, err := e.Do(ctx, &rest.Request{Interaction: rest.Read, Method: http.MethodGet, Type: "Organization", ID: "demo-clinic"}); err == nil {
		return 0, nil
	}
	resp, err := e.Do(ctx, &rest.Request{Interaction: rest.Batch, Method: http.MethodPost, Body: bundle})
	if err != nil {
		return 0, fmt.Errorf("loading demo data: %w", err)
	}
	entries, _ := resp.Resource["entry"].([]any)
	return len(entries), nil
}
