package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newRootCmd(io *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "mxscope",
		Short: "Where campaigns' email lives, and how well it is defended, from public DNS",
		Long: `mxscope reads MX, SPF, DMARC and related DNS records of a list of domains and
reports, per domain, the gateway that receives its mail, the host of its
mailboxes, who may send as it, and how well it resists spoofing.

An MX record shows where mail for a domain is delivered. It does not show
that a campaign was targeted or compromised.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       fmt.Sprintf("%s (catalog %s)", toolVersion(), catalogVersion()),
	}
	root.SetVersionTemplate("mxscope {{.Version}}\n")
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		hint := fmt.Sprintf("see '%s --help'", c.CommandPath())
		if s := suggestFlag(c, err); s != "" {
			hint = fmt.Sprintf("did you mean %s? %s", s, hint)
		}
		return userError(exitUsage, hint, "%s", err)
	})
	root.AddCommand(newScanCmd(io, nil), newSPFCmd(io, nil), newProvidersCmd(io), newVersionCmd(io))
	root.AddCommand(newReplayCmd(io, nil), newDiffCmd(io, nil), newMergeCmd(io, nil))
	return root
}

func newVersionCmd(io *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of mxscope and of its provider catalog",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(io.Out, "mxscope %s (catalog %s)\n", toolVersion(), catalogVersion())
			return err
		},
	}
}
