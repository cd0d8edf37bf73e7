package scanner

import (
	"context"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/resolve"
)

// Preflight reports whether any resolver behind q answers at all, by asking
// for domain's MX up to three times (so a lossy network is not mistaken for a
// dead one). Any DNS answer counts, even SERVFAIL: the point is to tell "no
// network" from "bad data" before printing a screen of timeouts.
func Preflight(ctx context.Context, q resolve.Querier, domain string) bool {
	for range 3 {
		a := q.Query(ctx, domain, dns.TypeMX)
		// StatusError covers transport failures such as "connection
		// refused", which are no answer either.
		if a.Status != resolve.StatusTimeout && a.Status != resolve.StatusError {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
	}
	return false
}
