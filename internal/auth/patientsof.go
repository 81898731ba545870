package auth

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// maxCareRelations caps the encounters and appointments read to find a
// practitioner's patients under the strict policy.
const maxCareRelations = 5000

// PatientsOfStore lists, from the store, the patients a practitioner has an
// Encounter (as participant) or Appointment (as actor) with: the care
// relationships of the strict access policy.
func PatientsOfStore(s store.Reader, ix *search.Indexer) func(ctx context.Context, practitioner string) ([]string, error) {
	return func(ctx context.Context, practitioner string) ([]string, error) {
		var out []string
		for _, q := range []struct{ typ, param string }{{"Encounter", "participant"}, {"Appointment", "actor"}} {
			query, _, err := search.ParseQuery(q.typ, url.Values{q.param: {practitioner}, "_count": {"1000"}}, search.ParseOptions{MaxCount: 1000})
			if err != nil {
				return nil, fmt.Errorf("care relationships: %w", err)
			}
			cursor, seen := "", 0
			for seen < maxCareRelations {
				res, err := s.Search(ctx, store.SearchRequest{Query: query, Cursor: cursor})
				if err != nil {
					return nil, fmt.Errorf("care relationships: %s: %w", q.typ, err)
				}
				for _, r := range res.Matches {
					doc, issues := fhir.Decode(r.Body)
					if fhir.HasErrors(issues) {
						continue
					}
					ids, err := ix.PatientRefs(doc)
					if err != nil {
						return nil, err
					}
					for _, id := range ids {
						if !slices.Contains(out, id) {
							out = append(out, id)
						}
					}
				}
				seen += len(res.Matches)
				if res.Next == "" {
					break
				}
				cursor = res.Next
			}
		}
		return out, nil
	}
}
