package devserver

import (
	"os"
	"strconv"
)

// gcPercent is the Go garbage collector's target (GOGC) the dev server
// runs with. The server allocates heavily per workflow (history events,
// mutable state, SQLite rows) against a small live heap, so at the Go
// default of 100 it collects often. In A B B A A B B A runs of
// BenchmarkDeliveries, 200 cost it 8 % less CPU per delivery (6.5 % per
// floor workflow) and delivered 6 % more per second, for a peak resident
// size of 0.5–0.6 GiB instead of 0.4; 400 saved no more CPU and took
// 0.9 GiB (README, Benchmarks: the settings table).
const gcPercent = 200

// Env returns the environment variables a dev server gets on top of this
// process's own: GOGC=gcPercent, unless GOGC is set already, in which
// case the child inherits that value (a user who tunes the collector
// gets what they asked for).
func Env() []string {
	return EnvDefaults("GOGC", strconv.Itoa(gcPercent))
}

// EnvDefaults returns "NAME=value" for each name, value pair whose name
// this process's environment does not set (even empty), for a child
// process that inherits the rest: a default that never overrides what the
// user set. Env uses it for the dev server, internal/testenv for the
// production server it starts.
func EnvDefaults(pairs ...string) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, set := os.LookupEnv(pairs[i]); !set {
			out = append(out, pairs[i]+"="+pairs[i+1])
		}
	}
	return out
}
