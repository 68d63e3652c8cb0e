// Port and output helpers of the dev server launcher.

package devserver

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
)

// FreePort returns a TCP port on 127.0.0.1 that is free at the time of the
// call. Nothing reserves it afterwards, so a caller should use it promptly;
// Start fails cleanly if it was taken in between.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("devserver: finding a free port: %w", err)
	}
	defer l.Close()
	addr := l.Addr().(*net.TCPAddr)
	// Linux hands out ephemeral ports randomly and may return the same one
	// to the next bind(:0) right after this listener closes. Completing a
	// connection that the server side closes first leaves the port in
	// TIME_WAIT, which keeps the kernel from reallocating it to bind(:0) for
	// a minute while an explicit bind (which Go does with SO_REUSEADDR)
	// still succeeds. The Temporal SDK's testsuite uses the same technique.
	if runtime.GOOS == "linux" {
		conn, err := net.DialTCP("tcp", nil, addr)
		if err != nil {
			return 0, fmt.Errorf("devserver: finding a free port: %w", err)
		}
		accepted, err := l.Accept()
		if err != nil {
			_ = conn.Close()
			return 0, fmt.Errorf("devserver: finding a free port: %w", err)
		}
		_ = accepted.Close()
		_ = conn.Close()
	}
	return addr.Port, nil
}

// Which port of the dev server a PortInUseError is about.
const (
	PortFrontend = "frontend"
	PortUI       = "ui"
)

// PortInUseError says that a port the dev server needs cannot be bound, so
// a caller can name the setting that moves it.
type PortInUseError struct {
	Port string // PortFrontend or PortUI
	Addr string
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("devserver: %s port %s is not available: %v", e.Port, e.Addr, e.Err)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// CheckPorts reports a *PortInUseError when the frontend or UI port of o
// cannot be bound right now. Start calls it; `switchboard dev` calls it
// before it does anything else, so a busy port fails fast.
func CheckPorts(o Options) error {
	o = o.withDefaults()
	hostPort := net.JoinHostPort(o.IP, strconv.Itoa(o.Port))
	if err := checkPortFree(hostPort); err != nil {
		return &PortInUseError{Port: PortFrontend, Addr: hostPort, Err: err}
	}
	if o.UIPort > 0 {
		uiHostPort := net.JoinHostPort(o.IP, strconv.Itoa(o.UIPort))
		if err := checkPortFree(uiHostPort); err != nil {
			return &PortInUseError{Port: PortUI, Addr: uiHostPort, Err: err}
		}
	}
	return nil
}

// checkPortFree reports an error if hostPort cannot be bound right now.
func checkPortFree(hostPort string) error {
	l, err := net.Listen("tcp", hostPort)
	if err != nil {
		return err
	}
	return l.Close()
}

// dialHost maps a wildcard bind address to loopback, since clients cannot
// dial 0.0.0.0 or :: portably.
func dialHost(ip string) string {
	if parsed := net.ParseIP(ip); parsed != nil && parsed.IsUnspecified() {
		if parsed.To4() != nil {
			return "127.0.0.1"
		}
		return "::1"
	}
	return ip
}

// tailBuffer keeps the last max bytes written to it, so a failed start can
// report the server's final log lines without holding its whole output.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// Bytes returns a copy of the retained output.
func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}
