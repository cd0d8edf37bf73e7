package main

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/scanner/report"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/spf"
	"github.com/mxscope/mxscope/scanner/targets"
)

type spfOptions struct {
	Domain    string
	IP        string
	Sender    string
	Helo      string
	Format    string
	Resolvers []string
	Timeout   time.Duration
	Retries   int
}

// spfExit is the exit code of each check_host result. They are the
// classic spfquery's (Mail::SPF: pass 0, fail 1, softfail 2, neutral 3,
// permerror 4, temperror 5, none 6), plus 10 for every result but pass, so
// that none is mistaken for mxscope's own 1 (runtime error) or 2 (usage).
// qtypeTXT is the TXT record type (RFC 1035 §3.2.2), for the one question
// this command asks the cache itself.
const qtypeTXT uint16 = 16

var spfExit = map[spf.Result]int{
	spf.ResultPass:      0,
	spf.ResultFail:      11,
	spf.ResultSoftfail:  12,
	spf.ResultNeutral:   13,
	spf.ResultPermerror: 14,
	spf.ResultTemperror: 15,
	spf.ResultNone:      16,
}

func newSPFCmd(io *streams, runF func(context.Context, *spfOptions) error) *cobra.Command {
	o := &spfOptions{}
	c := &cobra.Command{
		Use:   "spf DOMAIN --ip ADDR [--sender ADDR]",
		Short: "Would mail from this address pass SPF as DOMAIN? (RFC 7208 check_host)",
		Long: `Evaluate DOMAIN's SPF policy for mail from the address --ip, as a receiver
would (RFC 7208 check_host), and exit with a code for the result:

  0 pass   11 fail   12 softfail   13 neutral   14 permerror   15 temperror   16 none

(spfquery's codes plus 10, so that they never look like 1, a runtime error
such as no resolver answering, or 2, a usage error).`,
		Example: `  mxscope spf example.com --ip 192.0.2.10
  mxscope spf example.com --ip 2001:db8::1 --sender alice@example.com -f json`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Domain = args[0]
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runSPF(c.Context(), io, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.IP, "ip", "", "the sending server's IP address (required)")
	f.StringVar(&o.Sender, "sender", "", "the envelope sender (MAIL FROM); default postmaster@DOMAIN")
	f.StringVar(&o.Helo, "helo", "", "the sending server's HELO name, for the %{h} macro")
	f.StringVarP(&o.Format, "format", "f", "text", "output format: "+strings.Join(report.SPFCheckFormats, " | "))
	f.StringArrayVar(&o.Resolvers, "resolver", nil, "DNS server: host, host:port or [v6]:port (repeatable; default: $MXSCOPE_RESOLVER, else the system's resolvers)")
	f.DurationVar(&o.Timeout, "timeout", defaultTimeout, "per query attempt")
	f.IntVar(&o.Retries, "retries", defaultRetries, "extra attempts per query, each to the next resolver")
	_ = c.MarkFlagRequired("ip")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.SPFCheckFormats, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runSPF(ctx context.Context, io *streams, o *spfOptions) error {
	o.Format = strings.ToLower(o.Format)
	if !slices.Contains(report.SPFCheckFormats, o.Format) {
		return userError(exitUsage, "formats: "+strings.Join(report.SPFCheckFormats, ", "), "unknown format %q", o.Format)
	}
	ip, err := netip.ParseAddr(o.IP)
	if err != nil {
		return userError(exitUsage, "--ip takes an IPv4 or IPv6 address", "invalid --ip %q", o.IP)
	}
	domain, _, err := targets.Normalize(o.Domain)
	if err != nil {
		return userError(exitUsage, "", "%s", err)
	}
	sender := o.Sender
	if sender == "" {
		sender = "postmaster@" + domain
	}
	servers, err := resolverAddrs(o.Resolvers)
	if err != nil {
		return err
	}
	client, err := resolve.NewClient(resolve.Config{Servers: servers, Timeout: o.Timeout, Retries: o.Retries})
	if err != nil {
		return userError(exitError, "", "%s", err)
	}
	defer client.Close()
	// The scan's pre-check: with no resolver answering, every result
	// would be a false "none" or "temperror".
	if err := preflight(ctx, client, domain, servers); err != nil {
		return err
	}
	// RFC 7208 §4.6.4 asks for at least 20 seconds before giving up.
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cache := resolve.NewCache(client)
	out := spf.CheckHost(ctx, cache, ip, domain, sender, spf.WithHELO(o.Helo))
	c := report.SPFCheck{
		Domain: domain, IP: ip.String(), Sender: sender, HELO: o.Helo,
		Result: string(out.Result), Explanation: out.Explanation,
		Lookups: out.Lookups, VoidLookups: out.VoidLookups,
	}
	if out.Err == nil {
		c.Mechanism = out.Mechanism // on an error it is the term at fault, not a match
	} else {
		c.Reason = spf.Reason(out.Err.Error())
		// A mistyped domain is result none too (RFC 7208 §4.3): say that
		// it does not exist, not only that it has no record. The answer
		// is the cached one check_host read.
		if out.Result == spf.ResultNone && errors.Is(out.Err, spf.ErrNoRecord) {
			if a := cache.Query(ctx, domain, qtypeTXT); a.Status == resolve.StatusNXDomain {
				c.Reason = domain + " does not exist (NXDOMAIN), so it has no spf record"
			}
		}
	}
	if err := report.WriteSPFCheck(io.Out, o.Format, c); err != nil {
		return userError(exitError, "", "writing the result: %s", err)
	}
	if ctx.Err() != nil && out.Result == spf.ResultTemperror && context.Cause(ctx) != context.DeadlineExceeded {
		return &cliError{code: exitInterrupted}
	}
	code, ok := spfExit[out.Result]
	if !ok {
		return userError(exitError, "", "spf: result %q has no exit code", out.Result)
	}
	if code != 0 {
		return &cliError{code: code}
	}
	return nil
}
