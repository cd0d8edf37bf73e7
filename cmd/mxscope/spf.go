package main

import (
	"context"
	"fmt"
	"net/netip"
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
	Resolvers []string
	Timeout   time.Duration
	Retries   int
}

func newSPFCmd(io *streams, runF func(context.Context, *spfOptions) error) *cobra.Command {
	o := &spfOptions{}
	c := &cobra.Command{
		Use:   "spf DOMAIN --ip ADDR [--sender ADDR]",
		Short: "Would mail from this address pass SPF as DOMAIN? (RFC 7208 check_host)",
		Example: `  mxscope spf example.com --ip 192.0.2.10
  mxscope spf example.com --ip 2001:db8::1 --sender alice@example.com`,
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
	f.StringArrayVar(&o.Resolvers, "resolver", nil, "DNS server: host, host:port or [v6]:port (repeatable; default: the system's resolvers)")
	f.DurationVar(&o.Timeout, "timeout", defaultTimeout, "per query attempt")
	f.IntVar(&o.Retries, "retries", defaultRetries, "extra attempts per query, each to the next resolver")
	_ = c.MarkFlagRequired("ip")
	return c
}

func runSPF(ctx context.Context, io *streams, o *spfOptions) error {
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
	// RFC 7208 §4.6.4 asks for at least 20 seconds before giving up.
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out := spf.CheckHost(ctx, resolve.NewCache(client), ip, domain, sender, spf.WithHELO(o.Helo))
	fmt.Fprintf(io.Out, "result: %s\n", out.Result)
	if out.Mechanism != "" {
		fmt.Fprintf(io.Out, "matched: %s\n", report.Clean(out.Mechanism))
	}
	if out.Explanation != "" {
		fmt.Fprintf(io.Out, "explanation: %s\n", report.Clean(out.Explanation))
	}
	if out.Err != nil {
		fmt.Fprintf(io.Out, "reason: %s\n", report.Clean(out.Err.Error()))
	}
	fmt.Fprintf(io.Out, "dns lookups: %d (void: %d)\n", out.Lookups, out.VoidLookups)
	return nil
}
