package report

import (
	"bufio"
	"fmt"
	"io"
)

// SPFCheck is the outcome of `mxscope spf`: would mail from IP pass SPF as
// Domain (RFC 7208 check_host)?
type SPFCheck struct {
	Domain string `json:"domain"`
	IP     string `json:"ip"`
	Sender string `json:"sender"`
	HELO   string `json:"helo,omitempty"`
	Result string `json:"result"` // pass, fail, softfail, neutral, none, permerror, temperror
	// Mechanism is the term that matched and decided the result; "" when
	// none did (neutral by default, none, and the errors).
	Mechanism   string `json:"mechanism,omitempty"`
	Explanation string `json:"explanation,omitempty"` // the domain's exp= text, on a fail
	Reason      string `json:"reason,omitempty"`      // why none, permerror or temperror
	Lookups     int    `json:"lookups"`
	VoidLookups int    `json:"void_lookups"`
}

// SPFCheckFormats lists the formats WriteSPFCheck accepts; the first is
// the default.
var SPFCheckFormats = []string{"text", "json"}

// WriteSPFCheck writes c as "key: value" lines, or as one JSON object.
// Every value is DNS data or derived from it, and is escaped like any
// other report's.
func WriteSPFCheck(w io.Writer, format string, c SPFCheck) error {
	switch format {
	case "json":
		b, err := marshal(c, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "text":
		b := bufio.NewWriter(w)
		fmt.Fprintf(b, "result: %s\n", Clean(c.Result))
		if c.Mechanism != "" {
			fmt.Fprintf(b, "matched: %s\n", Clean(c.Mechanism))
		}
		if c.Explanation != "" {
			fmt.Fprintf(b, "explanation: %s\n", Clean(c.Explanation))
		}
		if c.Reason != "" {
			fmt.Fprintf(b, "reason: %s\n", Clean(c.Reason))
		}
		fmt.Fprintf(b, "dns lookups: %d (void: %d)\n", c.Lookups, c.VoidLookups)
		return b.Flush()
	}
	return fmt.Errorf("%w %q (want one of: text, json)", ErrUnknownFormat, format)
}
