//go:build !linux

package resolve

// reader returns the socket's read step; batched reads are a Linux feature.
func (s *udpSock) reader() func(func([]byte, bool)) error { return s.readOne() }
