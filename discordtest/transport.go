package discordtest

import (
	"net/http"
	"net/url"
)

// RewriteTransport sends requests for https://discord.com to Origin (a
// Server.URL), so an unmodified discordgo session talks to the fake.
type RewriteTransport struct {
	Origin string
	// Base defaults to http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t RewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if r.URL.Host != "discord.com" {
		return base.RoundTrip(r)
	}
	o, err := url.Parse(t.Origin)
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = o.Scheme, o.Host, o.Host
	return base.RoundTrip(r)
}
