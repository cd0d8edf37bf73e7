package resolve

import (
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// readBatch is how many datagrams one recvmmsg(2) may return. Under load it
// saves most of the read system calls; idle, it costs nothing.
const readBatch = 32

// batchReader is implemented by ipv4.PacketConn and ipv6.PacketConn.
type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

// reader returns the socket's read step: recvmmsg into readBatch buffers of
// at least 4 KiB (more than the EDNS0 size we advertise). A datagram longer
// than its buffer is flagged by the kernel (MSG_TRUNC) and dispatched as
// cut, so its query retries over TCP rather than losing the reply.
func (s *udpSock) reader() func(func([]byte, bool)) error {
	var br batchReader = ipv4.NewPacketConn(s.conn)
	if ua, ok := s.conn.RemoteAddr().(*net.UDPAddr); ok && ua.IP.To4() == nil {
		br = ipv6.NewPacketConn(s.conn)
	}
	size := max(4096, int(s.c.udpSize))
	msgs := make([]ipv4.Message, readBatch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, size)}
	}
	return func(dispatch func([]byte, bool)) error {
		n, err := br.ReadBatch(msgs, 0)
		n = max(0, min(n, len(msgs))) // -1 comes with an error
		for i := range msgs[:n] {
			m := &msgs[i]
			dispatch(m.Buffers[0][:m.N], m.Flags&syscall.MSG_TRUNC != 0)
			m.Addr = nil
		}
		return err
	}
}
