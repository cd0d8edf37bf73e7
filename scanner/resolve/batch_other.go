//go:build !linux

package resolve

// reader returns the socket's read step; batched reads are a Linux feature.
func (s *udpSock) reader() func(func([]byte, bool)) error { return s.readOne() }

// maxUDPReply is the largest UDP payload; reading into a buffer this big
// means no reply is ever silently cut short.
const maxUDPReply = 65535

// readOne is the portable reader: one datagram per call, into a buffer big
// enough for any UDP payload so that nothing is cut short.
func (s *udpSock) readOne() func(func([]byte, bool)) error {
	buf := make([]byte, maxUDPReply)
	return func(dispatch func([]byte, bool)) error {
		n, err := s.conn.Read(buf)
		if err != nil {
			return err
		}
		dispatch(buf[:n], false)
		return nil
	}
}
