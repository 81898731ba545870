package token

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// exportVersion is the version of the Export document.
const exportVersion = 1

// exportDoc is the Export document: private JWKs with their lifetimes.
type exportDoc struct {
	Version int         `json:"version"`
	Keys    []exportKey `json:"keys"`
}

type exportKey struct {
	Created time.Time       `json:"created"`
	Retired *time.Time      `json:"retired,omitempty"`
	JWK     jose.JSONWebKey `json:"jwk"`
}

// Export returns a JSON document with every key of the set, PRIVATE keys
// included, and their creation and retirement times, oldest first:
//
//	{"version":1,"keys":[{"created":"RFC 3339","retired":"RFC 3339","jwk":{...}}]}
//
// Store it encrypted; ImportKeySet reads it back.
func (ks *KeySet) Export() ([]byte, error) {
	ks.mu.RLock()
	doc := exportDoc{Version: exportVersion, Keys: make([]exportKey, 0, len(ks.keys))}
	for _, k := range ks.keys {
		ek := exportKey{
			Created: k.created.UTC(),
			JWK:     jose.JSONWebKey{Key: k.priv, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"},
		}
		if !k.retired.IsZero() {
			r := k.retired.UTC()
			ek.Retired = &r
		}
		doc.Keys = append(doc.Keys, ek)
	}
	ks.mu.RUnlock()
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("token: exporting key set: %w", err)
	}
	return b, nil
}

// ImportKeySet rebuilds a KeySet from an Export document, with opts
// applied as in NewKeySet. It checks that every key is an RSA private key
// of at least 2048 bits whose kid is its thumbprint, that kids are unique,
// and that exactly one key (the newest) is current. Errors wrap ErrKeySet
// and never include key material.
func ImportKeySet(data []byte, opts KeySetOptions) (*KeySet, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var doc exportDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: not a key set document", ErrKeySet)
	}
	if doc.Version != exportVersion {
		return nil, fmt.Errorf("%w: unsupported version %d", ErrKeySet, doc.Version)
	}
	if len(doc.Keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrKeySet)
	}
	ks := &KeySet{opts: opts}
	seen := map[string]bool{}
	for i, ek := range doc.Keys {
		priv, ok := ek.JWK.Key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: key %d is not an RSA private key", ErrKeySet, i)
		}
		if priv.N.BitLen() < rsaBits {
			return nil, fmt.Errorf("%w: key %d is shorter than %d bits", ErrKeySet, i, rsaBits)
		}
		if err := priv.Validate(); err != nil {
			return nil, fmt.Errorf("%w: key %d is inconsistent", ErrKeySet, i)
		}
		kid, err := thumbprint(&priv.PublicKey)
		if err != nil {
			return nil, err
		}
		if kid != ek.JWK.KeyID {
			return nil, fmt.Errorf("%w: key %d kid is not its thumbprint", ErrKeySet, i)
		}
		if seen[kid] {
			return nil, fmt.Errorf("%w: key %d is a duplicate", ErrKeySet, i)
		}
		seen[kid] = true
		last := i == len(doc.Keys)-1
		if last != (ek.Retired == nil) {
			return nil, fmt.Errorf("%w: exactly the last key must be current", ErrKeySet)
		}
		k := &signingKey{kid: kid, priv: priv, created: ek.Created}
		if ek.Retired != nil {
			k.retired = *ek.Retired
		}
		ks.keys = append(ks.keys, k)
	}
	return ks, nil
}
