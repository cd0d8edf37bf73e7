package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Status is the outcome of fetching a policy.
type Status string

const (
	// StatusOK: the policy was fetched and parses.
	StatusOK Status = "ok"
	// StatusNone: nothing is published where the TXT record points: the
	// policy host has no address in DNS, or it answers 404 Not Found or 410 Gone.
	StatusNone Status = "none"
	// StatusUnreachable: the policy host answered, but not with a policy
	// senders may take: a refused connection, a certificate not valid for
	// the name, a redirect, an HTTP status other than 200.
	StatusUnreachable Status = "unreachable"
	// StatusInvalid: a 200 response whose body is not a policy: not
	// text/plain, too large, or not parsing.
	StatusInvalid Status = "invalid"
	// StatusTemperror: the fetch failed on this side or in between (a DNS
	// failure for the policy host, a timeout, no route): nothing is
	// concluded about the policy.
	StatusTemperror Status = "temperror"
)

// Defaults for a zero Config.
const (
	DefaultTimeout  = 15 * time.Second
	DefaultParallel = 32
	defaultPort     = 443
)

// Config tunes a Fetcher. The zero value is the fetch RFC 8461 describes.
type Config struct {
	// Timeout bounds one whole fetch: connection, TLS, headers and body
	// (default 15s; RFC 8461 §3.3 asks hosts to answer within a minute, so
	// a shorter wait that runs out is a temperror, never "unreachable").
	Timeout time.Duration
	// Roots are the trusted certificate authorities; nil means the
	// system's, where Go honours SSL_CERT_FILE and SSL_CERT_DIR.
	Roots *x509.CertPool
	// Parallel caps the fetches in flight at once, which bounds memory
	// (default 32).
	Parallel int
	// Port is the HTTPS port dialled. RFC 8461 fixes 443 and no flag
	// changes it; tests set it, because a test server cannot count on
	// having port 443.
	Port int
}

// Result is the outcome of one fetch.
type Result struct {
	Status Status
	URL    string
	Policy *Policy // for StatusOK
	Err    string  // why the status is not ok
}

// Fetcher fetches policies. It is safe for concurrent use.
type Fetcher struct {
	cfg Config
	sem chan struct{}
}

// NewFetcher returns a Fetcher with cfg's zero fields set to the defaults.
func NewFetcher(cfg Config) *Fetcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.Port <= 0 {
		cfg.Port = defaultPort
	}
	return &Fetcher{cfg: cfg, sem: make(chan struct{}, cfg.Parallel)}
}

// Host is the policy host of domain (RFC 8461 §3.3).
func Host(domain string) string { return "mta-sts." + domain }

// URL is the policy's address (RFC 8461 §3.3).
func URL(domain string) string { return "https://" + Host(domain) + "/.well-known/mta-sts.txt" }

// maxHeaderBytes caps the response headers read.
const maxHeaderBytes = 32 << 10

// Fetch fetches and parses domain's policy from addrs, the addresses the
// caller looked up for Host(domain), trying them in order.
func (f *Fetcher) Fetch(ctx context.Context, domain string, addrs []netip.Addr) Result {
	res := Result{URL: URL(domain)}
	fail := func(s Status, format string, args ...any) Result {
		res.Status, res.Err = s, fmt.Sprintf(format, args...)
		return res
	}
	if len(addrs) == 0 {
		return fail(StatusNone, "%s has no address", Host(domain))
	}
	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	case <-ctx.Done():
		return fail(StatusTemperror, "not fetched: %v", ctx.Err())
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()

	host := Host(domain)
	dialer := &net.Dialer{Timeout: f.cfg.Timeout / 2}
	port := strconv.Itoa(f.cfg.Port)
	tr := &http.Transport{
		Proxy: nil, // the host dialled must be the one the scan looked up
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var errs []error
			for _, a := range addrs {
				c, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
				if err == nil {
					return c, nil
				}
				errs = append(errs, err)
				if ctx.Err() != nil {
					break
				}
			}
			return nil, errors.Join(errs...)
		},
		TLSClientConfig:        &tls.Config{ServerName: host, RootCAs: f.cfg.Roots, MinVersion: tls.VersionTLS12},
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, res.URL, nil)
	if err != nil {
		return fail(StatusInvalid, "%v", err)
	}
	req.Header.Set("User-Agent", "mxscope (MTA-STS policy check)")
	resp, err := client.Do(req)
	if err != nil {
		s, why := classify(err, f.cfg.Timeout)
		return fail(s, "%s", why)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return fail(StatusNone, "HTTP %d: no policy at %s", resp.StatusCode, res.URL)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fail(StatusUnreachable, "HTTP %d redirect to %s, which senders do not follow (RFC 8461 §3.3)", resp.StatusCode, quote(resp.Header.Get("Location")))
	default:
		return fail(StatusUnreachable, "HTTP %d: senders take a policy only from a 200 response", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		s, why := classify(err, f.cfg.Timeout)
		return fail(s, "reading the policy: %s", why)
	}
	if len(body) > MaxPolicySize {
		return fail(StatusInvalid, "the policy is larger than %d KiB, the limit RFC 8461 §3.3 suggests senders set", MaxPolicySize>>10)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
		return fail(StatusInvalid, "served as %s, not text/plain (RFC 8461 §3.2)", quote(ct))
	}
	p, err := Parse(body)
	if err != nil {
		return fail(StatusInvalid, "%v", err)
	}
	res.Status, res.Policy = StatusOK, p
	return res
}

// classify tells a failure of the policy host (unreachable) from one that
// may be this side's (temperror).
func classify(err error, timeout time.Duration) (Status, string) {
	var certErr *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case errors.As(err, &certErr):
		return StatusUnreachable, "certificate not accepted: " + oneLine(certErr.Err.Error())
	case errors.Is(err, syscall.ECONNREFUSED):
		return StatusUnreachable, "connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return StatusTemperror, fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, context.Canceled):
		return StatusTemperror, "the scan ended first"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return StatusTemperror, "no route to the policy host from here: " + oneLine(innermost(err))
	}
	return StatusUnreachable, oneLine(innermost(err))
}

// innermost drops net/http's "Get <url>:" and net's "dial tcp" wrapping,
// which repeat what the result says elsewhere.
func innermost(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// oneLine keeps an error message to one printable line of bounded length.
func oneLine(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
