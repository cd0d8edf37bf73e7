package scanner

import (
	"context"
	"errors"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/resolve"
)

// Errors from Preflight.
var (
	// ErrNoAnswer: no resolver answered at all (no network, wrong address).
	ErrNoAnswer = errors.New("scanner: no DNS resolver answered")
	// ErrBrokenResolver: the resolver claims the root zone does not exist,
	// as sinkholes and captive networks do. Every name it is asked about
	// would come back "does not exist", which must not be published.
	ErrBrokenResolver = errors.New("scanner: the DNS resolver says the root zone does not exist")
)

// Preflight checks, before a scan, that the resolvers behind q are worth
// believing. It asks for the root zone's NS records, which every working
// recursive resolver answers whatever the scan's targets are (asking about
// a target would fail a scan whose first target's own name servers are
// dead), up to three times, so that a lossy network is not mistaken for a
// dead one. Any DNS answer, even SERVFAIL or REFUSED, shows someone is
// listening. NXDOMAIN for the root is what sinkholes and captive networks
// answer: every name would come back "does not exist", which must not be
// published.
func Preflight(ctx context.Context, q resolve.Querier) error {
	for range 3 {
		a := q.Query(ctx, ".", dns.TypeNS)
		if ctx.Err() != nil {
			return nil // the caller sees its own interruption
		}
		switch a.Status {
		case resolve.StatusTimeout, resolve.StatusError:
			// StatusError covers transport failures such as "connection
			// refused", which are no answer either.
			continue
		case resolve.StatusNXDomain:
			return ErrBrokenResolver
		}
		return nil
	}
	return ErrNoAnswer
}
