package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/scanner/report"
)

func newProvidersCmd(io *streams) *cobra.Command {
	var format, catalog string
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
			out, err := openOutput(c.Context(), io, nil)
			if err != nil {
				return err
			}
			if err := report.WriteCatalog(format, out, cat, report.Options{Terminal: io.OutTTY, Width: io.OutWidth}); err != nil {
				return userError(exitError, "", "writing the catalog: %s", err)
			}
			return out.Commit()
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(report.Formats, " | "))
	c.Flags().StringVar(&catalog, "catalog", "", "YAML provider catalog merged over the built-in one")
	return c
}
