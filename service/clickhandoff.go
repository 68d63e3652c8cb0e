package service

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/switchboardhq/switchboard/models"
)

// What passes between VerifyClick and the worker's activities of the same
// process, so that the caller's 1-second path holds as few database and
// server round trips as possible: the verification and its apps go to the
// app activities without being read back (clickPrepared), and the stored
// outcomes and the decision come back without being polled for
// (clickWaiters). Both are shortcuts: an activity that runs in another
// process reads the rows, and a VerifyClick whose workflow ran elsewhere
// learns the outcome from the workflow's completion.

// clickPrepared holds the verifications this process is starting.
type clickPrepared struct {
	mu sync.Mutex
	m  map[string]*clickPrep
}

// clickPrep is one verification being started: its rows are being stored
// while the workflow starts, and stored is closed once that is done (err
// says how it went).
type clickPrep struct {
	v      models.ClickVerification
	apps   map[string]models.App
	stored chan struct{}
	err    error
	// claimed is closed when an activity of this process takes the
	// verification: its outcome will come back in-process.
	claimed   chan struct{}
	claimOnce sync.Once
}

func (p *clickPrepared) add(v models.ClickVerification, apps []models.App) *clickPrep {
	cp := &clickPrep{v: v, apps: make(map[string]models.App, len(apps)), stored: make(chan struct{}), claimed: make(chan struct{})}
	for _, a := range apps {
		cp.apps[a.ID] = a
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*clickPrep{}
	}
	p.m[v.ID] = cp
	return cp
}

func (p *clickPrepared) remove(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}

// done records how storing the rows went and releases the activities
// waiting for it.
func (cp *clickPrep) done(err error) {
	cp.err = err
	close(cp.stored)
}

// lookup waits until the rows of id are stored and returns the
// verification and the app appID; ok is false when this process is not
// starting id (or not with that app). err is the store's error: the rows
// do not exist and the app must not be asked.
func (p *clickPrepared) lookup(ctx context.Context, id, appID string) (models.ClickVerification, models.App, bool, error) {
	p.mu.Lock()
	cp := p.m[id]
	p.mu.Unlock()
	if cp == nil {
		return models.ClickVerification{}, models.App{}, false, nil
	}
	app, ok := cp.apps[appID]
	if !ok {
		return models.ClickVerification{}, models.App{}, false, nil
	}
	cp.claimOnce.Do(func() { close(cp.claimed) })
	select {
	case <-cp.stored:
	case <-ctx.Done():
		return models.ClickVerification{}, models.App{}, true, ctx.Err()
	}
	return cp.v, app, true, cp.err
}

// clickWaiters wakes in-process waiters when an app's outcome is stored.
type clickWaiters struct {
	mu sync.Mutex
	m  map[string][]*clickWaiter
}

// clickWaiter is one waiting VerifyClick: stored counts the
// notifications, ch wakes it (a pending wake-up absorbs the next).
type clickWaiter struct {
	ch      chan struct{}
	stored  atomic.Int64
	decided atomic.Pointer[clickDecided]
}

// clickDecided is a decision handed over by the activity that fixed it.
type clickDecided struct {
	v    models.ClickVerification
	apps []models.ClickVerificationApp
}

func (w *clickWaiters) subscribe(id string) (*clickWaiter, func()) {
	cw := &clickWaiter{ch: make(chan struct{}, 1)}
	w.mu.Lock()
	if w.m == nil {
		w.m = map[string][]*clickWaiter{}
	}
	w.m[id] = append(w.m[id], cw)
	w.mu.Unlock()
	return cw, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		list := slices.DeleteFunc(w.m[id], func(c *clickWaiter) bool { return c == cw })
		if len(list) == 0 {
			delete(w.m, id)
		} else {
			w.m[id] = list
		}
	}
}

func (w *clickWaiters) notify(id string) { w.wake(id, nil) }

func (w *clickWaiters) notifyDecided(v models.ClickVerification, apps []models.ClickVerificationApp) {
	w.wake(v.ID, &clickDecided{v: v, apps: apps})
}

// wake counts a stored outcome for id's waiters and hands them the
// decision d when it is not nil.
func (w *clickWaiters) wake(id string, d *clickDecided) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cw := range w.m[id] {
		cw.stored.Add(1)
		if d != nil {
			cw.decided.Store(d)
		}
		select {
		case cw.ch <- struct{}{}:
		default: // a wake-up is pending already; it reads the count
		}
	}
}
