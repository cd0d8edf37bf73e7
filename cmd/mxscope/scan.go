package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/evidence"
	"github.com/mxscope/mxscope/scanner/report"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Defaults chosen from the lossy-network measurement in README ("Timeouts
// and retries").
const (
	defaultConcurrency   = 256
	defaultTimeout       = 2 * time.Second
	defaultRetries       = 3
	defaultDomainTimeout = 60 * time.Second
)

// providerHelp is --provider's help, the same filter in scan, replay and
// merge.
const providerHelp = "keep only domains with an MX host or (medium or high confidence) mailbox host at this provider id (repeatable)"

// now is the clock behind the report's "started" time; tests fix it.
var now = time.Now

type scanOptions struct {
	Domains    []string // positional arguments: scan these instead of a file
	Targets    string
	targetsSet bool // -t was given: a missing file is the user's, not the default
	viewOptions
	gateOptions
	Resolvers     []string
	Concurrency   int
	Timeout       time.Duration
	Retries       int
	QPS           float64
	Checks        string
	Catalog       string
	Resume        string
	Shard         string
	shard         targets.Shard // Shard, parsed by validate
	Evidence      string        // --evidence FILE: every DNS answer the verdicts used
	DomainTimeout time.Duration
	Progress      bool
	Stats         bool
	CPUProfile    string
	MemProfile    string
	DKIMSelectors []string // --dkim-selector

	commandLine []string // the command as given, without --resume: for the hint after an interrupt
}

func newScanCmd(io *streams, runF func(context.Context, *scanOptions) error) *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "scan [DOMAIN...]",
		Short: "Scan ./targets.yaml, another targets file, or the domains given",
		Long: `Scan the domains of a targets file (default ./targets.yaml) or those named on
the command line, and report for each where its mail is received, who hosts its
mailboxes, who may send as it, its SPF and DMARC posture, and findings.`,
		Example: `  mxscope scan                              # the shipped targets.yaml
  mxscope scan --provider microsoft         # which campaigns receive mail through Microsoft
  mxscope scan -f csv -o scan.csv -t my.yaml
  mxscope scan example.com --fail-on high   # exit 3 when a high finding is present`,
		RunE: func(c *cobra.Command, args []string) error {
			o.Domains = args
			if len(args) > 0 && c.Flags().Changed("targets") {
				return userError(exitUsage, "name domains on the command line or pass --targets, not both", "both domains and --targets were given")
			}
			o.Progress = io.ErrTTY
			o.FindingsSet = c.Flags().Changed("findings")
			o.targetsSet = c.Flags().Changed("targets")
			o.commandLine = commandLine(c, args)
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runScan(c.Context(), io, o)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Targets, "targets", "t", "targets.yaml", `targets file; "-" reads stdin`)
	f.StringArrayVar(&o.Resolvers, "resolver", nil, "DNS server: host, host:port or [v6]:port (repeatable; default: $MXSCOPE_RESOLVER, else the system's resolvers)")
	f.IntVarP(&o.Concurrency, "concurrency", "c", defaultConcurrency, "domains in flight")
	f.DurationVar(&o.Timeout, "timeout", defaultTimeout, "per query attempt")
	f.IntVar(&o.Retries, "retries", defaultRetries, "extra attempts per query, each to the next resolver")
	f.Float64Var(&o.QPS, "qps", 0, "cap on queries per second (0: none)")
	f.StringVar(&o.Checks, "checks", "all", "lookups to run, comma-separated: "+scanner.Checks(allChecks()).String())
	f.StringArrayVar(&o.DKIMSelectors, "dkim-selector", nil, "also probe this DKIM selector for every domain (repeatable)")
	f.StringVar(&o.Catalog, "catalog", "", "YAML provider catalog merged over the built-in one")
	f.StringVar(&o.Shard, "shard", "", "scan only shard K of N of the targets (K from 0; README, \"More than one machine\"), for mxscope merge")
	f.StringVar(&o.Resume, "resume", "", "carry on the interrupted jsonl report FILE: scan only the targets it does not hold, and write it (or -o) whole again")
	f.StringVar(&o.Evidence, "evidence", "", "also write every DNS answer the verdicts used to FILE (JSON Lines, atomically), for mxscope replay")
	f.DurationVar(&o.DomainTimeout, "domain-timeout", defaultDomainTimeout, "deadline for all lookups of one domain")
	f.BoolVar(&o.Stats, "stats", false, "print resolver and cache statistics to stderr at the end")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the scan to FILE (for `go tool pprof`)")
	_ = f.MarkHidden("cpuprofile")
	f.StringVar(&o.MemProfile, "memprofile", "", "write an allocation profile of the scan to FILE (for `go tool pprof`)")
	_ = f.MarkHidden("memprofile")
	o.viewOptions.flags(c, "report")
	o.gateOptions.flags(c)
	_ = c.RegisterFlagCompletionFunc("checks", completeChecks)
	return c
}

// completeChecks completes the last name of a comma-separated --checks
// list: "mx,s" offers "mx,spf" and the other names starting with s that
// the list does not hold yet.
func completeChecks(_ *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
	done, last := "", typed
	if i := strings.LastIndexByte(typed, ','); i >= 0 {
		done, last = typed[:i+1], typed[i+1:]
	}
	have := strings.Split(strings.ToLower(done), ",")
	var out []string
	if done == "" && strings.HasPrefix("all", last) {
		out = append(out, "all")
	}
	for _, name := range strings.Split(allChecks().String(), ",") {
		if strings.HasPrefix(name, strings.ToLower(last)) && !slices.Contains(have, name) {
			out = append(out, done+name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// commandLine rebuilds the command as given from its parsed flags, leaving
// out --resume: the hint after an interrupt adds it.
func commandLine(c *cobra.Command, args []string) []string {
	line := []string{"mxscope", c.Name()}
	c.Flags().Visit(func(f *pflag.Flag) {
		switch {
		case f.Name == "resume":
		case f.Value.Type() == "bool":
			line = append(line, "--"+f.Name+"="+f.Value.String())
		default:
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				for _, v := range sv.GetSlice() {
					line = append(line, "--"+f.Name, v)
				}
				return
			}
			line = append(line, "--"+f.Name, f.Value.String())
		}
	})
	return append(line, args...)
}

// shellCommand joins words into a command a POSIX shell reads back as
// those words. It reports false for a word that holds a control
// character, which must not reach the terminal.
func shellCommand(words []string) (string, bool) {
	quoted := make([]string, len(words))
	for i, w := range words {
		if report.Clean(w) != w {
			return "", false
		}
		safe := w != ""
		for _, r := range w {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
				safe = false
				break
			}
		}
		if safe {
			quoted[i] = w
		} else {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " "), true
}

func allChecks() scanner.Checks {
	c, _ := scanner.ParseChecks("")
	return c
}

// validate checks everything that does not need the network or files, so
// that usage errors come before any work.
func (o *scanOptions) validate() (checks scanner.Checks, failOn scanner.Severity, err error) {
	if o.Format, err = parseFormat(o.Format, report.Formats); err != nil {
		return nil, "", err
	}
	if failOn, err = parseFailOn(o.FailOn); err != nil {
		return nil, "", err
	}
	if o.shard, err = targets.ParseShard(o.Shard); err != nil {
		return nil, "", userError(exitUsage, "--shard K/N: K counts from 0, so the shards of 4 are 0/4, 1/4, 2/4 and 3/4", "%s", strings.TrimPrefix(err.Error(), "targets: "))
	}
	checks, err = scanner.ParseChecks(strings.ToLower(o.Checks))
	if err != nil {
		return nil, "", userError(exitUsage, "", "--checks: %s", err)
	}
	if o.Concurrency < 1 || o.Concurrency > 100000 {
		return nil, "", userError(exitUsage, "", "--concurrency must be between 1 and 100000, not %d", o.Concurrency)
	}
	if o.Timeout <= 0 || o.DomainTimeout <= 0 {
		return nil, "", userError(exitUsage, "", "--timeout and --domain-timeout must be positive")
	}
	if o.Retries < 0 || o.Retries > 20 {
		return nil, "", userError(exitUsage, "", "--retries must be between 0 and 20, not %d", o.Retries)
	}
	if o.QPS < 0 {
		return nil, "", userError(exitUsage, "", "--qps must not be negative")
	}
	if o.Possible && len(o.Providers) == 0 {
		return nil, "", userError(exitUsage, "for example: mxscope scan --provider microsoft --possible", "--possible needs --provider")
	}
	if o.Resume != "" && o.Format != "table" && o.Format != "jsonl" {
		return nil, "", userError(exitUsage, "--resume carries on a jsonl report; -f jsonl is the only format it writes",
			"--resume does not combine with -f %s", o.Format)
	}
	if o.Resume != "" && len(o.Providers) > 0 {
		return nil, "", userError(exitUsage, "scan everything with --resume, then filter the report (jq, or a second scan with --provider)",
			"--resume does not combine with --provider: a filtered report leaves out targets, which a resume would scan again")
	}
	if o.AllowUnchecked && failOn == "" {
		return nil, "", userError(exitUsage, "--allow-unchecked loosens --fail-on SEVERITY", "--allow-unchecked without --fail-on")
	}
	for i, sel := range o.DKIMSelectors {
		o.DKIMSelectors[i] = strings.ToLower(strings.TrimSuffix(sel, "."))
		if !scanner.ValidSelector(o.DKIMSelectors[i]) {
			return nil, "", userError(exitUsage, "a selector is the name before ._domainkey, such as s2048 or mail.2024", "invalid DKIM selector %q", sel)
		}
	}
	if o.Resume != "" {
		o.Format = "jsonl"
		if o.Output == "" {
			o.Output = o.Resume // carry on in place
		}
	}
	if err := o.validateEvidence(); err != nil {
		return nil, "", err
	}
	return checks, failOn, nil
}

// shardName is the meta's shard: "K/N", or "" for the whole list.
func (o *scanOptions) shardName() string {
	if o.shard.Whole() {
		return ""
	}
	return o.shard.String()
}

func runScan(ctx context.Context, io *streams, o *scanOptions) error {
	checks, failOn, err := o.validate()
	if err != nil {
		return err
	}
	cat, err := loadCatalog(o.Catalog)
	if err != nil {
		return err
	}
	if err := checkProviderIDs(cat, o.Providers); err != nil {
		return err
	}
	servers, err := resolverAddrs(o.Resolvers)
	if err != nil {
		return err
	}
	dest, err := checkOutput(o.Output)
	if err != nil {
		return err
	}
	if o.Evidence != "" {
		if _, err := checkOutput(o.Evidence); err != nil {
			return err
		}
	}
	sum := o.summarizer()
	g := gate{failOn: failOn, allowUnchecked: o.AllowUnchecked}
	var resume *resumeState
	var done map[string]bool
	if o.Resume != "" {
		// The resumed report's rows count in the summary and at the gate.
		resume, err = readResume(o.Resume, func(r *scanner.Result) {
			g.unchecked(r)
			g.add(r)
			sum.Add(r)
		})
		if err != nil {
			return err
		}
		if resume.missing {
			// Allowed, so that a script can pass --resume from its first
			// run; said, so that a mistyped name is not a silent rescan.
			fmt.Fprintf(io.Err, "mxscope: --resume: %s does not exist yet, so every target is scanned\n", report.Clean(o.Resume))
		}
		done = resume.done
	}
	src, err := openSource(io, o, done)
	if err != nil {
		return err
	}
	defer src.close()
	if resume != nil {
		if err := resume.check(io, src.hash, checks, o.shardName()); err != nil {
			return err
		}
	}

	client, err := resolve.NewClient(resolve.Config{Servers: servers, Timeout: o.Timeout, Retries: o.Retries, QPS: o.QPS})
	if err != nil {
		return userError(exitError, "", "%s", err)
	}
	defer client.Close()
	started := now().UTC().Truncate(time.Second)
	ev := &evidenceFile{}
	sopts := scanner.Options{Concurrency: o.Concurrency, Checks: checks, Catalog: cat, DomainTimeout: o.DomainTimeout,
		Trace: o.Progress && src.total >= 1, DKIMSelectors: o.DKIMSelectors}
	var q resolve.Querier = client
	if o.Evidence != "" {
		q, sopts.Record = evidence.Stamp(client), ev.record
	}
	sc := scanner.New(q, sopts)
	err = preflight(ctx, client, src.first, servers)
	if ctx.Err() != nil {
		// Interrupted before the scan: nothing is written, and an earlier
		// report stays as it was.
		return interruptedEarly(io, o)
	}
	if err != nil {
		return err
	}
	if o.Evidence != "" {
		if err := ev.open(ctx, io, o.Evidence, evidence.Meta{
			Tool: "mxscope", Version: toolVersion(), Catalog: cat.Version, Checks: checks.String(),
			Resolvers: servers, Started: started, Targets: src.total, TargetsSHA256: src.hash, Shard: o.shardName(),
		}); err != nil {
			return err
		}
		defer ev.abort()
	}

	out, err := openOutput(ctx, io, dest)
	if err != nil {
		if ctx.Err() != nil {
			return interruptedEarly(io, o)
		}
		return err
	}
	defer out.Abort()
	terminal := io.OutTTY && dest == nil
	w, err := report.New(o.Format, out, o.report(io, terminal, src.keys, o.findingsWanted(src.total)))
	if err != nil {
		return userError(exitUsage, "", "%s", err)
	}
	meta := scanner.Meta{
		Schema: scanner.Schema, Tool: "mxscope", Version: toolVersion(),
		Started: started, Resolvers: servers,
		Catalog: cat.Version, Checks: checks.String(), TargetsSHA256: src.hash,
		Shard: o.shardName(),
	}
	begin := true
	if resume != nil {
		// The resumed report keeps its own meta line: the whole file is
		// one scan, started when the first run started.
		if m, ok := resume.oldMeta(src.hash); ok {
			meta = m
		} else {
			begin = resume.meta == nil
		}
	}
	if begin {
		if err := w.Begin(meta); err != nil {
			return writeError(o.Output, err)
		}
	}
	if resume != nil {
		if err := resume.copyRows(out); err != nil {
			return writeError(o.Output, err)
		}
	}

	if o.CPUProfile != "" {
		stop, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return userError(exitError, "", "--cpuprofile: %s", err)
		}
		defer stop()
	}
	if o.MemProfile != "" {
		stop, err := startAllocProfile(o.MemProfile)
		if err != nil {
			return userError(exitError, "", "--memprofile: %s", err)
		}
		defer stop()
	}
	var scanned int
	stopProgress := startProgress(io, o, sc, src.total)
	var readErr error
	scanErr := sc.Scan(ctx, src.seq(&readErr), func(r *scanner.Result) error {
		scanned++
		g.unchecked(r) // before the provider filter: a target that was not checked is not known to be elsewhere
		// The summary counts every target, so that a provider's share
		// is told out of the whole scan, not out of the rows kept.
		sum.Add(r)
		if !keepForProviders(r, o.Providers, o.Possible) {
			return nil
		}
		g.add(r)
		return w.Write(r)
	})
	stopProgress()
	if o.Stats {
		writeStats(io.Err, client, sc.Cache(), src.total)
	}
	if v, known := sc.Validates(); known && !v {
		fmt.Fprintf(io.Err, "mxscope: the resolver does not validate DNSSEC, so every dnssec and tlsa status says unknown\nhint: name a validating resolver with --resolver, or leave dnssec and dane out of --checks\n")
	}
	interrupted := scanErr != nil && ctx.Err() != nil
	if scanErr != nil && !interrupted {
		if ev.failed(scanErr) {
			return ev.writeError(scanErr)
		}
		return writeError(o.Output, scanErr)
	}
	if readErr != nil {
		return userError(exitError, "", "reading targets: %s", readErr)
	}
	if interrupted && scanned == 0 && out.temporary() {
		out.Abort()
		return interruptedEarly(io, o)
	}
	if err := ev.commit(!interrupted); err != nil {
		return ev.writeError(err)
	}
	s := sum.Summary()
	s.Partial = interrupted
	if err := w.End(s); err != nil {
		return writeError(o.Output, err)
	}
	if interrupted && o.Format == "csv" && out.temporary() {
		// A CSV cannot say it is partial: it goes beside the report it
		// was to be, so that a file of that name is always complete.
		out.redirect(partialName(dest.path))
	}
	if err := out.Commit(); err != nil {
		return writeError(o.Output, err)
	}
	if interrupted {
		interruptMessage(io, o, out, scanned, src)
		return &cliError{code: exitInterrupted}
	}
	return g.verdict(io)
}

// interruptedEarly is an interrupt before any target was scanned: nothing
// was written, and an earlier report is as it was.
func interruptedEarly(io *streams, o *scanOptions) error {
	msg := "interrupted before any target was scanned"
	if o.Output != "" && o.Output != "-" {
		msg += "; " + o.Output + " is as it was"
	}
	fmt.Fprintf(io.Err, "mxscope: %s\n", report.Clean(msg))
	return &cliError{code: exitInterrupted}
}

// interruptMessage says what an interrupted scan wrote and how to carry on.
func interruptMessage(io *streams, o *scanOptions, out *output, n int, src *source) {
	left := fmt.Sprintf("%d of %d targets", n, src.total)
	if src.total != src.all {
		left = fmt.Sprintf("%d of the %d targets not yet in %s", n, src.total, o.Resume)
	}
	where, mark := "standard output", "marked partial"
	if o.Format == "csv" {
		mark = "a CSV cannot say it is partial"
	}
	if out.dest != nil {
		where = out.dest.name
		if out.to != "" && out.to != out.dest.path {
			where = out.to
			mark += "; " + out.dest.name + " is as it was"
		}
	}
	fmt.Fprintf(io.Err, "mxscope: interrupted: wrote %s to %s (%s)\n", left, report.Clean(where), report.Clean(mark))
	switch {
	case o.Format == "jsonl" && out.dest != nil && o.commandLine != nil:
		if cmd, ok := shellCommand(append(o.commandLine, "--resume", o.Output)); ok {
			fmt.Fprintf(io.Err, "hint: carry on with: %s\n", cmd)
		} else {
			fmt.Fprintf(io.Err, "hint: carry on with the same command and --resume %s\n", report.Clean(o.Output))
		}
	case o.Format == "jsonl" && out.dest != nil:
		fmt.Fprintf(io.Err, "hint: carry on with the same command and --resume %s\n", report.Clean(o.Output))
	default:
		fmt.Fprintf(io.Err, "hint: a scan written with -f jsonl -o FILE can be carried on after an interruption with --resume FILE\n")
	}
}

// parseFormat returns the output format named, in any case, or a usage
// error listing the formats the command writes.
func parseFormat(name string, formats []string) (string, error) {
	f := strings.ToLower(name)
	if !slices.Contains(formats, f) {
		return "", userError(exitUsage, "formats: "+strings.Join(formats, ", "), "unknown format %q", name)
	}
	return f, nil
}

// parseFailOn returns the severity --fail-on names, in any case; "" when
// the flag is not set.
func parseFailOn(name string) (scanner.Severity, error) {
	if name == "" {
		return "", nil
	}
	s := scanner.Severity(strings.ToLower(name))
	if s.Rank() == 0 {
		return "", userError(exitUsage, "severities: high, medium, low, info", "unknown severity %q for --fail-on", name)
	}
	return s, nil
}

// writeError is the error of writing the report to output ("" is
// standard output).
func writeError(output string, err error) error {
	dest := "standard output"
	if output != "" {
		dest = output
	}
	return userError(exitError, "", "writing the report to %s: %s", dest, err)
}

func loadCatalog(path string) (*providers.Catalog, error) {
	cat := providers.Default()
	if path == "" {
		return cat, nil
	}
	over, err := providers.LoadFile(path)
	if err != nil {
		return nil, userError(exitError, "see README, \"Provider catalog\", for the file format", "%s", err)
	}
	return cat.Merge(over), nil
}

func catalogVersion() string { return providers.Default().Version }

// checkProviderIDs lower-cases ids in place (ids are lower case; users
// type "Microsoft") and refuses one the catalog does not know, suggesting
// what it may have meant.
func checkProviderIDs(cat *providers.Catalog, ids []string) error {
	for i, id := range ids {
		id = strings.ToLower(id)
		ids[i] = id
		switch id {
		case scanner.ProviderSelfHosted, scanner.ProviderUnknown, scanner.ProviderNone:
			continue
		}
		if !cat.HasID(id) {
			hint := "'mxscope providers' lists the ids"
			if s := suggestProvider(cat, id); len(s) > 0 {
				hint = fmt.Sprintf("did you mean %s? %s", strings.Join(s, " or "), hint)
			}
			return userError(exitUsage, hint, "unknown provider id %q", id)
		}
	}
	return nil
}

// keepForProviders reports whether r is listed under the --provider filter
// ids, and sets r.Match to what matched: an MX host, or the mailbox host
// with medium or high confidence; a low-confidence mailbox host (possible)
// only when possible is set. Without a filter every row is kept.
func keepForProviders(r *scanner.Result, ids []string, possible bool) bool {
	if len(ids) == 0 {
		return true
	}
	r.Match = slices.DeleteFunc(scanner.MatchProviders(r, ids), func(m scanner.Match) bool {
		return m.Layer == scanner.LayerPossible && !possible
	})
	return len(r.Match) > 0
}

// envResolver names the resolvers to use when no --resolver is given:
// addresses separated by commas or spaces.
const envResolver = "MXSCOPE_RESOLVER"

// resolverAddrs returns the servers named by --resolver, else by
// MXSCOPE_RESOLVER, else the system's.
func resolverAddrs(flags []string) ([]string, error) {
	from := "" // where the addresses came from, for messages
	if len(flags) == 0 {
		flags = strings.FieldsFunc(os.Getenv(envResolver), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		from = envResolver + ": "
	}
	if len(flags) == 0 {
		s, err := resolve.SystemServers()
		if err != nil {
			return nil, userError(exitError, "pass --resolver ADDR, for example --resolver 127.0.0.1:53", "%s", err)
		}
		return s, nil
	}
	var out []string
	for _, f := range flags {
		s, err := resolve.ParseServer(f)
		if err != nil {
			return nil, userError(exitUsage, "a resolver is host, host:port or [v6]:port", "%s%s", from, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// writeStats prints --stats: one line per resolver (what the client saw of
// it: queries, answers, timeouts, refusals, smoothed RTT and retransmission
// timeout, times set aside and back), then the totals, last.
func writeStats(w io.Writer, c *resolve.Client, cache *resolve.Cache, targets int) {
	for _, s := range c.Servers() {
		state := "up"
		if !s.Up {
			state = "set-aside"
		}
		fmt.Fprintf(w, "stats: resolver %s %s queries=%d answers=%d timeouts=%d refused=%d srtt_ms=%.1f rto_ms=%.0f set_aside=%d restored=%d\n",
			s.Addr, state, s.Queries, s.Answers, s.Timeouts, s.Refused, float64(s.SRTT)/1e6, float64(s.RTO)/1e6, s.SetAside, s.Restored)
	}
	st, cs := c.Stats(), cache.Stats()
	fmt.Fprintf(w, "stats: targets=%d queries=%d retries=%d timeouts=%d responses=%d tcp=%d discarded=%d batched=%d cache_hits=%d cache_misses=%d late=%d set_aside=%d probes=%d\n",
		targets, st.Queries, st.Retries, st.Timeouts, st.Responses, st.TCPFallbacks, st.Discarded, st.Batched, cs.Hits, cs.Misses, st.Late, st.SetAside, st.Probes)
}

// preflight asks one question before the scan (about the root zone, not
// the targets), so that a dead or lying resolver gets one clear error
// instead of a screen of timeouts or of false "does not exist" rows. first
// is the first valid target: without one, the scan asks nothing.
func preflight(ctx context.Context, c *resolve.Client, first string, servers []string) error {
	if first == "" {
		return nil // nothing valid to look up
	}
	tried := strings.Join(servers, ", ")
	switch err := scanner.Preflight(ctx, c); {
	case errors.Is(err, scanner.ErrNoAnswer):
		return userError(exitError, "check the network, or pass --resolver ADDR (host, host:port or [v6]:port)",
			"no DNS resolver answered (tried %s)", tried)
	case errors.Is(err, scanner.ErrBrokenResolver):
		return userError(exitError, "this network may have no real DNS access; pass --resolver ADDR with a working recursive resolver",
			"the resolver (%s) answers that even the root zone does not exist, so its answers cannot be trusted", tried)
	}
	return nil
}
