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
	"sync"
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

// Class says how a fetch failed before a whole HTTP response came back.
type Class string

const (
	// ClassRefused: the policy host refused the connection.
	ClassRefused Class = "refused"
	// ClassCertificate: the policy host's certificate was not accepted for
	// its name (wrong name, untrusted root, expired).
	ClassCertificate Class = "certificate"
	// ClassFailed: any other failure of the policy host: a TLS alert, a
	// reset connection, a reply that is not HTTP.
	ClassFailed Class = "failed"
	// ClassTimeout: no answer within the fetch's time limit.
	ClassTimeout Class = "timeout"
	// ClassNoRoute: the network here has no route to the policy host.
	ClassNoRoute Class = "no-route"
	// ClassCanceled: the scan ended (or the domain's deadline passed)
	// before the fetch could finish.
	ClassCanceled Class = "canceled"
	// ClassNoAddress: nothing to dial: the policy host has no address.
	ClassNoAddress Class = "no-address"
	// ClassNotRecorded: no request was made, and none is known: a replay
	// whose evidence holds no response for the URL, or cannot read it.
	ClassNotRecorded Class = "not-recorded"
)

// Status is what a failure of this class says about the policy: the
// host's failures make it unreachable; a failure that may be this side's,
// or a fetch that is not known, says nothing (temperror).
func (c Class) Status() Status {
	switch c {
	case ClassRefused, ClassCertificate, ClassFailed:
		return StatusUnreachable
	case ClassNoAddress:
		return StatusNone
	}
	return StatusTemperror
}

// Known reports whether c is one of the classes above.
func (c Class) Known() bool {
	switch c {
	case ClassRefused, ClassCertificate, ClassFailed, ClassTimeout, ClassNoRoute, ClassCanceled, ClassNoAddress, ClassNotRecorded:
		return true
	}
	return false
}

// Response is what one fetch got from the network, before any judgement:
// the Fetcher makes it, an evidence file keeps it, a replay reads it back,
// and Judge turns it into a Result the same way each time.
type Response struct {
	URL        string
	Dialled    []netip.Addr // the addresses dialled, in order
	Connected  netip.Addr   // the one that took the connection; zero when none did
	StatusCode int          // 0 when no response came
	// ContentType and Location are the response's headers of those names
	// (Location only for a redirect).
	ContentType string
	Location    string
	// Body is the body of a 200 response, at most MaxPolicySize bytes;
	// BodyTruncated says the server sent more, which was not read.
	Body          []byte
	BodyTruncated bool
	Class         Class  // how the fetch failed; "" when a response came whole
	Err           string // the failure, as the Result says it
	TLS           *TLS   // the handshake, when one was made
	Time          time.Time
	Latency       time.Duration
}

// TLS is what the handshake showed.
type TLS struct {
	ServerName string // the name the certificate was checked against
	Version    string // "TLS 1.3"; "" when the handshake did not finish
	Verified   bool   // the chain led to a trusted root and named ServerName
	Err        string // why the certificate was not accepted
}

// Getter makes a fetch's request: the Fetcher over the network, a replay
// from an evidence file. Judge reads what either got.
type Getter interface {
	Get(ctx context.Context, domain string, addrs []netip.Addr) Response
}

var _ Getter = (*Fetcher)(nil)

// NotRecorded is the Response of a fetch that was not made and is not
// known, with why.
func NotRecorded(domain, why string) Response {
	return Response{URL: URL(domain), Class: ClassNotRecorded, Err: why}
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

// Fetch fetches and judges domain's policy from addrs, the addresses the
// caller looked up for Host(domain), trying them in order.
func (f *Fetcher) Fetch(ctx context.Context, domain string, addrs []netip.Addr) Result {
	return Judge(f.Get(ctx, domain, addrs))
}

// Get makes the request RFC 8461 §3.3 describes to addrs, in order, and
// returns what came back, judging nothing: the body of a 200 response up
// to MaxPolicySize bytes, the status and headers of any other.
func (f *Fetcher) Get(ctx context.Context, domain string, addrs []netip.Addr) Response {
	host := Host(domain)
	resp := Response{URL: URL(domain), Time: time.Now().UTC()}
	start := time.Now()
	fail := func(c Class, format string, args ...any) Response {
		resp.Class, resp.Err = c, fmt.Sprintf(format, args...)
		resp.Latency = time.Since(start)
		return resp
	}
	if len(addrs) == 0 {
		return fail(ClassNoAddress, "%s has no address", host)
	}
	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	case <-ctx.Done():
		return fail(ClassCanceled, "not fetched: %v", ctx.Err())
	}
	resp.Time, start = time.Now().UTC(), time.Now()
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()

	dialer := &net.Dialer{Timeout: f.cfg.Timeout / 2}
	port := strconv.Itoa(f.cfg.Port)
	var mu sync.Mutex // guards resp.Dialled and resp.Connected while the request runs
	tr := &http.Transport{
		Proxy: nil, // the host dialled must be the one the scan looked up
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var errs []error
			for _, a := range addrs {
				mu.Lock()
				resp.Dialled = append(resp.Dialled, a)
				mu.Unlock()
				c, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
				if err == nil {
					mu.Lock()
					resp.Connected = a
					mu.Unlock()
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, resp.URL, nil)
	if err != nil {
		return fail(ClassFailed, "%v", err)
	}
	req.Header.Set("User-Agent", "mxscope (MTA-STS policy check)")
	hr, err := client.Do(req)
	// A dial the transport began may still be running when Do returns
	// with an error; it writes Dialled under mu.
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		c, why := classify(err, f.cfg.Timeout)
		var certErr *tls.CertificateVerificationError
		if errors.As(err, &certErr) {
			resp.TLS = &TLS{ServerName: host, Err: oneLine(certErr.Err.Error())}
		}
		return fail(c, "%s", why)
	}
	defer hr.Body.Close()
	if cs := hr.TLS; cs != nil {
		resp.TLS = &TLS{ServerName: host, Version: tls.VersionName(cs.Version), Verified: len(cs.VerifiedChains) > 0}
	}
	resp.StatusCode = hr.StatusCode
	resp.ContentType = hr.Header.Get("Content-Type")
	if hr.StatusCode >= 300 && hr.StatusCode < 400 {
		resp.Location = hr.Header.Get("Location")
	}
	if hr.StatusCode == http.StatusOK {
		body, err := io.ReadAll(io.LimitReader(hr.Body, MaxPolicySize+1))
		if err != nil {
			c, why := classify(err, f.cfg.Timeout)
			return fail(c, "reading the policy: %s", why)
		}
		if len(body) > MaxPolicySize {
			body, resp.BodyTruncated = body[:MaxPolicySize], true
		}
		resp.Body = body
	}
	resp.Latency = time.Since(start)
	return resp
}

// Judge reads a Response as a sender would (RFC 8461 §3.3): a failure of
// the exchange by its class, then 200 only, the size limit, text/plain
// only, and a policy that parses.
func Judge(resp Response) Result {
	res := Result{URL: resp.URL}
	fail := func(s Status, format string, args ...any) Result {
		res.Status, res.Err = s, fmt.Sprintf(format, args...)
		return res
	}
	if resp.Class != "" {
		why := resp.Err
		if why == "" {
			why = string(resp.Class)
		}
		return fail(resp.Class.Status(), "%s", why)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code == http.StatusNotFound || code == http.StatusGone:
		return fail(StatusNone, "HTTP %d: no policy at %s", code, res.URL)
	case code >= 300 && code < 400:
		return fail(StatusUnreachable, "HTTP %d redirect to %s, which senders do not follow (RFC 8461 §3.3)", code, quote(resp.Location))
	default:
		return fail(StatusUnreachable, "HTTP %d: senders take a policy only from a 200 response", code)
	}
	if resp.BodyTruncated || len(resp.Body) > MaxPolicySize {
		return fail(StatusInvalid, "the policy is larger than %d KiB, the limit RFC 8461 §3.3 suggests senders set", MaxPolicySize>>10)
	}
	ct := resp.ContentType
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
		return fail(StatusInvalid, "served as %s, not text/plain (RFC 8461 §3.2)", quote(ct))
	}
	p, err := Parse(resp.Body)
	if err != nil {
		return fail(StatusInvalid, "%v", err)
	}
	res.Status, res.Policy = StatusOK, p
	return res
}

// classify tells a failure of the policy host (unreachable) from one that
// may be this side's (temperror).
func classify(err error, timeout time.Duration) (Class, string) {
	var certErr *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case errors.As(err, &certErr):
		return ClassCertificate, "certificate not accepted: " + oneLine(certErr.Err.Error())
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused, "connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout, fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, context.Canceled):
		return ClassCanceled, "the scan ended first"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return ClassNoRoute, "no route to the policy host from here: " + oneLine(innermost(err))
	}
	return ClassFailed, oneLine(innermost(err))
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
