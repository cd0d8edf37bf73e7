package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/scanner/report"
)

func newProvidersCmd(io *streams) *cobra.Command {
	var format, catalog, output string
	c := &cobra.Command{
		Use:   "providers",
		Short: "List the provider catalog: ids, kinds, MX and SPF fingerprints, sources",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			format = strings.ToLower(format)
			if !slices.Contains(report.Formats, format) {
				return userError(exitUsage, "formats: "+strings.Join(report.Formats, ", "), "unknown format %q", format)
			}
			cat, err := loadCatalog(catalog)
			if err != nil {
				return err
			}
			out, err := openNamed(c.Context(), io, output)
			if err != nil {
				return err
			}
			toTTY := io.OutTTY && (output == "" || output == "-")
			if err := report.WriteCatalog(format, out, cat, report.Options{Terminal: toTTY, Width: io.OutWidth}); err != nil {
				out.Abort()
				return userError(exitError, "", "writing the catalog: %s", err)
			}
			return out.Commit()
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(report.Formats, " | "))
	c.Flags().StringVar(&catalog, "catalog", "", "YAML provider catalog merged over the built-in one")
	c.Flags().StringVarP(&output, "output", "o", "", "write the catalog to FILE, replaced only when it is whole (as scan's -o)")
	return c
}
