//go:build !unix

package main

import "os"

// ttyWidth is unknown here; $COLUMNS still counts (see terminalWidth).
func ttyWidth(*os.File) int { return 0 }
