package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/report"
)

// How the progress line behaves; tests shorten the intervals.
var (
	progressTick = 250 * time.Millisecond // how often the line is redrawn
	progressLong = 5 * time.Second        // a scan this old shows a rate and the time left
	progressSlow = time.Second            // a domain in flight this long is named as the slowest
)

// rateWindow is how far back the rate looks: recent enough to follow a
// scan that speeds up or slows down, long enough not to jump about.
const rateWindow = 10 * time.Second

// startProgress shows, on a terminal's stderr and nowhere else, how far
// the scan has got: the targets finished and in flight, a rate and the
// time left on a long scan, and the domain that holds up the rows behind
// it with the query it waits for. A scan of one domain shows it only once
// that domain has taken progressSlow (a domain whose name servers are dead
// can take half a minute, which should not look hung). It returns a
// function that stops and clears it.
func startProgress(io *streams, o *scanOptions, sc *scanner.Scanner, total int) (stop func()) {
	if !o.Progress || total < 1 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(progressTick)
		defer t.Stop()
		start := time.Now()
		m := newProgressMeter(total, start)
		drawn := false
		for {
			select {
			case <-done:
				if drawn {
					fmt.Fprint(io.Err, "\r\033[K")
				}
				return
			case now := <-t.C:
				if total == 1 && now.Sub(start) < progressSlow {
					continue
				}
				fmt.Fprintf(io.Err, "\r\033[K%s", m.line(sc.Progress(), now, io.ErrWidth))
				drawn = true
			}
		}
	}()
	return func() { close(done); <-finished }
}

// progressMeter turns snapshots of a scan into a progress line.
type progressMeter struct {
	total   int
	start   time.Time
	samples []sample // the last rateWindow of (time, finished)
}

type sample struct {
	at       time.Time
	finished int64
}

func newProgressMeter(total int, start time.Time) *progressMeter {
	return &progressMeter{total: total, start: start, samples: []sample{{start, 0}}}
}

// line is the progress line at now, at most width columns (0: no limit)
// so that the terminal never wraps it and "\r" can redraw it. On a narrow
// terminal the parts that matter least go first: the rate, then the count
// in flight, then the time left; what is done and what the scan waits for
// stay.
func (m *progressMeter) line(p scanner.Progress, now time.Time, width int) string {
	m.samples = append(m.samples, sample{now, p.Finished})
	for len(m.samples) > 2 && now.Sub(m.samples[1].at) >= rateWindow {
		m.samples = m.samples[1:]
	}
	// Parts in display order, each with the rank it keeps its place by
	// (higher stays longer).
	type part struct {
		text string
		rank int
	}
	const keep = 4 // parts of this rank are cut, never left out
	parts := []part{{fmt.Sprintf("%d of %d done", p.Finished, m.total), 5}, {fmt.Sprintf("%d in flight", p.Started-p.Finished), 2}}
	if now.Sub(m.start) >= progressLong {
		if rate := m.rate(); rate > 0 {
			parts = append(parts, part{formatRate(rate), 1})
			if left := int64(m.total) - p.Finished; left > 0 {
				parts = append(parts, part{"about " + formatDuration(time.Duration(float64(left)/rate*float64(time.Second))) + " left", 3})
			}
		}
	}
	head := "" // the slowest part without what it waits for
	if p.Slowest != "" && !p.Since.IsZero() && now.Sub(p.Since) >= progressSlow {
		head = fmt.Sprintf("slowest: %s (%s)", report.Clean(p.Slowest), formatDuration(now.Sub(p.Since)))
		s := head
		if p.Waiting != "" {
			s += ", waiting for " + report.Clean(p.Waiting)
		}
		parts = append(parts, part{s, 4})
	}
	join := func() string {
		texts := make([]string, len(parts))
		for i, x := range parts {
			texts[i] = x.text
		}
		return strings.Join(texts, " · ")
	}
	l := join()
	for width > 1 && len([]rune(l)) > width-1 {
		// The slowest part comes last: once the rate and the count in
		// flight are gone, and before the time left is, the query it
		// waits for is cut (to at least 8 characters of it) or left out,
		// as long as the domain and how long it has waited still show.
		rest := slices.ContainsFunc(parts, func(x part) bool { return x.rank < 3 })
		eta := slices.ContainsFunc(parts, func(x part) bool { return x.rank == 3 })
		if head != "" && !rest && eta && parts[len(parts)-1].rank == 4 {
			room := width - 1 - (len([]rune(l)) - len([]rune(parts[len(parts)-1].text)))
			last := []rune(parts[len(parts)-1].text)
			switch {
			case room >= len([]rune(head))+len(", waiting for ")+8:
				parts[len(parts)-1].text = string(last[:room-1]) + "…"
			case room >= len([]rune(head)):
				parts[len(parts)-1].text = head
			}
			if l = join(); len([]rune(l)) <= width-1 {
				break
			}
		}
		low := -1
		for i, x := range parts {
			if x.rank < keep && (low < 0 || x.rank < parts[low].rank) {
				low = i
			}
		}
		if low < 0 {
			break // cut what is left
		}
		parts = slices.Delete(parts, low, low+1)
		l = join()
	}
	if width > 1 && len([]rune(l)) > width-1 {
		l = string([]rune(l)[:width-2]) + "…"
	}
	return l
}

// rate is targets finished per second over the window.
func (m *progressMeter) rate() float64 {
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(last.finished-first.finished) / secs
}

func formatRate(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0f/s", r)
	}
	return fmt.Sprintf("%.1f/s", r)
}

// formatDuration is "14s", "3m05s" or "2h10m".
func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}
