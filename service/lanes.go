package service

// lanes is the dispatcher's queue: one FIFO lane per key (the org, when
// the dispatcher is fair) served in turn, one job per lane per turn. An org
// that commits 5,000 deliveries at once fills only its own lane, so another
// org's next delivery waits for at most one start per busy org instead of
// for the whole burst. With every job under one key it is a plain FIFO.
//
// Not safe for concurrent use: the Dispatcher holds its lock around it.
type lanes struct {
	byKey map[string]*lane
	// turn holds the lanes that have jobs, in serving order; a lane served
	// and not empty goes to the back.
	turn []*lane
	n    int
}

type lane struct {
	key  string
	jobs []dispatchJob
}

func newLanes() *lanes { return &lanes{byKey: map[string]*lane{}} }

// push appends j to key's lane, opening the lane (last in turn) if key has
// nothing queued.
func (l *lanes) push(key string, j dispatchJob) {
	ln, ok := l.byKey[key]
	if !ok {
		ln = &lane{key: key}
		l.byKey[key] = ln
		l.turn = append(l.turn, ln)
	}
	ln.jobs = append(ln.jobs, j)
	l.n++
}

// pop takes the oldest job of the lane whose turn it is.
func (l *lanes) pop() (dispatchJob, bool) {
	if len(l.turn) == 0 {
		return dispatchJob{}, false
	}
	ln := l.turn[0]
	l.turn[0] = nil // no reference kept by the backing array
	l.turn = l.turn[1:]
	j := ln.jobs[0]
	ln.jobs[0] = dispatchJob{}
	ln.jobs = ln.jobs[1:]
	l.n--
	if len(ln.jobs) == 0 {
		// Dropped, not kept empty: a lane's backing array is released with
		// it, and an org that stops sending costs nothing.
		delete(l.byKey, ln.key)
	} else {
		l.turn = append(l.turn, ln)
	}
	return j, true
}

// len is how many jobs are queued over all lanes.
func (l *lanes) len() int { return l.n }
