//go:build !linux

package resolve

import "net"

// gsoSupported: UDP segmentation offload is a Linux feature.
func gsoSupported(*net.UDPConn) bool { return false }

func gsoControl(int) []byte { return nil }
