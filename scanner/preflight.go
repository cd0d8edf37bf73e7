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
// believing. It asks for domain's MX up to three times (so a lossy network is
// not mistaken for a dead one); any DNS answer, even SERVFAIL, shows someone
// is listening. When that answer is NXDOMAIN it also asks for the root's NS
// records: a real recursive resolver never says the root does not exist, and
// one that does would turn every campaign into a false "nxdomain".
func Preflight(ctx context.Context, q resolve.Querier, domain string) error {
	for range 3 {
		a := q.Query(ctx, domain, dns.TypeMX)
		if ctx.Err() != nil {
			return nil // the caller sees its own interruption
		}
		switch a.Status {
		case resolve.StatusTimeout, resolve.StatusError:
			// StatusError covers transport failures such as "connection
			// refused", which are no answer either.
			continue
		case resolve.StatusNXDomain:
			if root := q.Query(ctx, ".", dns.TypeNS); root.Status == resolve.StatusNXDomain {
				return ErrBrokenResolver
			}
		}
		return nil
	}
	return ErrNoAnswer
}
