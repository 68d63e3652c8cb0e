package liquidsandbox

import (
	"sort"
	"strconv"
	"strings"
)

// missing lists the variable paths the template reads that variables lack.
// It is computed from the template text (the library has no hook for
// lookups of undefined variables short of failing the render), so a path
// read only in a branch not taken is listed too: it is still absent.
func missing(sc *scanned, variables map[string]any) []string {
	var out []string
	for _, path := range sc.refs {
		parts := strings.Split(path, ".")
		if sc.assigned[parts[0]] {
			continue
		}
		if !resolves(variables, parts) {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out
}

func resolves(v any, parts []string) bool {
	for _, p := range parts {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[p]
			if !ok {
				return p == "size"
			}
			v = next
		case []any:
			if p == "size" || p == "first" || p == "last" {
				return true
			}
			i, err := strconv.Atoi(p)
			if err != nil || i < -len(c) || i >= len(c) {
				return false
			}
			if i < 0 {
				i += len(c)
			}
			v = c[i]
		case string:
			return p == "size"
		default:
			return false
		}
	}
	return v != nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func quote(s string) string { return strconv.Quote(s) }
