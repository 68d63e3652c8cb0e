// Package e2e runs Switchboard end to end: the real API and worker against a
// Temporal dev server started for the test run and a fresh PostgreSQL
// database per test, with loopback receivers.
package e2e

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/internal/harness"
)

var temporalServer *testsuite.DevServer

func TestMain(m *testing.M) {
	harness.RunWithTemporal(m, "e2e", func(s *testsuite.DevServer) { temporalServer = s })
}

type platform struct{ *harness.Platform }

func newPlatform(t *testing.T) *platform {
	return &platform{harness.New(t, harness.Config(t, temporalServer))}
}

func (p *platform) call(method, path string, body any, out any) int {
	return p.Call(method, path, body, out)
}

func (p *platform) callWith(key, method, path string, body any, out any) int {
	return p.CallWith(key, method, path, body, out)
}

var eventually = harness.Eventually

// next waits for the receiver's next request.
func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case got := <-r.ch:
		return got
	case <-time.After(30 * time.Second):
		t.Fatal("receiver got no request")
	}
	return received{}
}
