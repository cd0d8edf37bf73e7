package spf_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner/spf"
)

func TestCheckHost(t *testing.T) {
	f := newFake().
		txt("example.com", "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net a:nx1.example.com a:nx2.example.com a:nx3.example.com -all exp=why.example.com").
		txt("_spf.example.net", "v=spf1 ip6:2001:db8::/32 ~all").
		txt("why.example.com", "%{c} may not send for %{d} (%{l}, checked by %{r} at %{t})")
	at := time.Unix(1700000000, 0)
	tests := []struct {
		name, ip, sender string
		opts             []spf.Option
		want             spf.Outcome
	}{
		{"ip4 match", "192.0.2.7", "alice@example.com", nil,
			spf.Outcome{Result: spf.ResultPass, Mechanism: "ip4:192.0.2.0/24"}},
		{"IPv4-mapped client is IPv4", "::ffff:192.0.2.7", "alice@example.com", nil,
			spf.Outcome{Result: spf.ResultPass, Mechanism: "ip4:192.0.2.0/24"}},
		{"include match names the include", "2001:db8::25", "alice@example.com", nil,
			spf.Outcome{Result: spf.ResultPass, Mechanism: "include:_spf.example.net", Lookups: 1}},
		{"too many voids", "198.51.100.1", "alice@example.com", nil,
			spf.Outcome{Result: spf.ResultPermerror, Mechanism: "a:nx3.example.com", Lookups: 4, VoidLookups: 3}},
		{"void limit raised", "198.51.100.1", "alice@example.com", []spf.Option{spf.WithVoidLimit(3), spf.WithReceiver("mx.example.org"), spf.WithTime(at)},
			spf.Outcome{Result: spf.ResultFail, Mechanism: "-all", Lookups: 4, VoidLookups: 3,
				Explanation: "198.51.100.1 may not send for example.com (alice, checked by mx.example.org at 1700000000)"}},
		{"void limit removed, sender without local-part", "198.51.100.1", "@example.com", []spf.Option{spf.WithVoidLimit(-1), spf.WithTime(at)},
			spf.Outcome{Result: spf.ResultFail, Mechanism: "-all", Lookups: 4, VoidLookups: 3,
				Explanation: "198.51.100.1 may not send for example.com (postmaster, checked by unknown at 1700000000)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spf.CheckHost(context.Background(), f, netip.MustParseAddr(tt.ip), "example.com", tt.sender, tt.opts...)
			got.Err = nil
			if got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestCheckHostErrors(t *testing.T) {
	f := newFake().txt("example.com", "v=spf1 a -all").a("example.com", "192.0.2.1")
	ip := netip.MustParseAddr("192.0.2.1")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		ip     netip.Addr
		domain string
		result spf.Result
		err    error
	}{
		{"ended context is temperror", cancelled, ip, "example.com", spf.ResultTemperror, context.Canceled},
		{"invalid client address", context.Background(), netip.Addr{}, "example.com", spf.ResultNone, spf.ErrInvalidIP},
		{"single-label domain", context.Background(), ip, "localhost", spf.ResultNone, spf.ErrInvalidDomain},
		{"empty domain", context.Background(), ip, "", spf.ResultNone, spf.ErrInvalidDomain},
		{"no record", context.Background(), ip, "nx.example.com", spf.ResultNone, spf.ErrNoRecord},
		{"trailing dot is fine", context.Background(), ip, "example.com.", spf.ResultPass, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spf.CheckHost(tt.ctx, f, tt.ip, tt.domain, "")
			if got.Result != tt.result || !errors.Is(got.Err, tt.err) {
				t.Errorf("got %v (%v); want %v (%v)", got.Result, got.Err, tt.result, tt.err)
			}
		})
	}
}

// TestCheckHostTimeLimit: the caller's deadline bounds the whole
// evaluation, and a resolver that hangs yields temperror.
func TestCheckHostTimeLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	got := spf.CheckHost(ctx, hangingResolver{}, netip.MustParseAddr("192.0.2.1"), "example.com", "")
	if got.Result != spf.ResultTemperror || !errors.Is(got.Err, context.DeadlineExceeded) {
		t.Errorf("got %v (%v); want temperror from the deadline", got.Result, got.Err)
	}
}

// hangingResolver answers nothing until the context ends.
type hangingResolver struct{}

func (hangingResolver) LookupTXT(ctx context.Context, _ string) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (hangingResolver) LookupA(ctx context.Context, _ string) ([]netip.Addr, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (hangingResolver) LookupAAAA(ctx context.Context, _ string) ([]netip.Addr, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (hangingResolver) LookupMX(ctx context.Context, _ string) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (hangingResolver) LookupPTR(ctx context.Context, _ netip.Addr) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
