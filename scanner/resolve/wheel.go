package resolve

// wheel holds the timers of the queries whose current attempt went out on
// one socket, guarded by that socket's mu: a timing wheel of wheelSlots
// slots, one per tick of the client's sweeper.
//
// Every attempt used to wait the same timeout, so a list in sending order
// was also in deadline order and the sweeper looked at its front alone.
// Waits now differ (each resolver's retransmission timeout, doubled for
// each attempt of a query that went unanswered), and a wheel keeps
// arming, disarming and firing a timer O(1) without a runtime timer per
// query, which was a measurable part of a scan's CPU. A deadline more than
// wheelSlots ticks away waits in its slot for as many turns as it needs.
type wheel struct {
	slots [wheelSlots]*waiter // doubly linked through waiter.tnext and tprev
	cur   int64               // the last tick swept
	n     int                 // timers armed
}

// wheelSlots is a power of two: 256 ticks of at most 10ms cover the
// default timeout in one turn.
const wheelSlots = 256

// insert arms w's timer for tick t (not before the next tick to sweep).
func (wh *wheel) insert(w *waiter, t int64) {
	if t <= wh.cur {
		t = wh.cur + 1
	}
	w.tick = t
	i := t & (wheelSlots - 1)
	w.tprev, w.tnext = nil, wh.slots[i]
	if w.tnext != nil {
		w.tnext.tprev = w
	}
	wh.slots[i] = w
	w.listed = true
	wh.n++
}

// remove disarms w's timer, if armed.
func (wh *wheel) remove(w *waiter) {
	if !w.listed {
		return
	}
	if w.tprev != nil {
		w.tprev.tnext = w.tnext
	} else {
		wh.slots[w.tick&(wheelSlots-1)] = w.tnext
	}
	if w.tnext != nil {
		w.tnext.tprev = w.tprev
	}
	w.tprev, w.tnext, w.listed = nil, nil, false
	wh.n--
}

// advance fires, in no particular order, every timer due at or before
// tick now: each is removed, then passed to fire.
func (wh *wheel) advance(now int64, fire func(*waiter)) {
	if now <= wh.cur {
		return
	}
	from := wh.cur + 1
	if now-wh.cur >= wheelSlots { // a long pause: every slot once
		from = now - wheelSlots + 1
	}
	wh.cur = now
	if wh.n == 0 {
		return
	}
	for t := from; t <= now; t++ {
		for w := wh.slots[t&(wheelSlots-1)]; w != nil; {
			next := w.tnext
			if w.tick <= now {
				wh.remove(w)
				fire(w)
			}
			w = next
		}
	}
}

// each removes every armed timer and passes its waiter to fire.
func (wh *wheel) each(fire func(*waiter)) {
	for i := range wh.slots {
		for w := wh.slots[i]; w != nil; {
			next := w.tnext
			wh.remove(w)
			fire(w)
			w = next
		}
	}
}
