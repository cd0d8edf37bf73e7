package spf

// Cost is the number of DNS-querying terms that n adds to an evaluation
// (§4.6.4): its own include or redirect, the a, mx, ptr and exists terms of
// its record up to any all mechanism, and the costs of the targets it
// includes or redirects to. It tells which include to cut when a record is
// over the limit of MaxLookups.
func (n *Node) Cost() int {
	cost := 1
	if p, err := Parse(n.Record); err == nil {
		for _, m := range p.Mechanisms {
			if m.Kind == KindAll {
				break
			}
			if m.Kind.lookupKind() && m.Kind != KindInclude {
				cost++ // includes are counted through Children
			}
		}
	}
	for _, c := range n.Children {
		cost += c.Cost()
	}
	return cost
}
