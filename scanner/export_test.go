package scanner

import "github.com/mxscope/mxscope/scanner/mtasts"

// UsePolicyFetcher gives the scanner an MTA-STS policy fetcher of the
// test's: one that trusts the test's CA and dials its HTTPS server's port,
// since a test cannot count on port 443. Nothing outside tests can change
// the port: RFC 8461 fixes it.
func UsePolicyFetcher(s *Scanner, cfg mtasts.Config) { s.sts = mtasts.NewFetcher(cfg) }

// LimitHeldBodies sets the bytes of policy bodies a recording scan holds
// for rows not yet written, and HeldBodies reads what it holds.
func LimitHeldBodies(s *Scanner, n int64) { s.bodyBudget = n }
func HeldBodies(s *Scanner) int64         { return s.heldBodies.Load() }
