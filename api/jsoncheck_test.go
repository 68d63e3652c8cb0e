package api

import (
	"strings"
	"testing"
)

// TestEventDataReceiversCanParse: data nested past the cap or holding a
// number beyond a float64 is refused with the limit in the message; data at
// the cap and ordinary numbers are stored.
func TestEventDataReceiversCanParse(t *testing.T) {
	h, key := newTestAPI(t)
	nest := func(levels int) string {
		// data's own object is level 1; contact is level 2.
		return `{"type":"contact.created","data":{"contact":{"id":"c","x":` +
			strings.Repeat("[", levels-2) + strings.Repeat("]", levels-2) + `}}}`
	}
	cases := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"2000 levels", nest(2000), 400, "json_too_deep", "32"},
		{"33 levels", nest(33), 400, "json_too_deep", "32"},
		{"32 levels", nest(32), 202, "", ""},
		{"1e400", `{"type":"contact.created","data":{"contact":{"id":"c","n":1e400}}}`, 400, "number_out_of_range", "1e400"},
		{"-1e309", `{"type":"contact.created","data":{"contact":{"id":"c","n":[-1e309]}}}`, 400, "number_out_of_range", "64-bit float"},
		{"huge integer", `{"type":"contact.created","data":{"contact":{"id":"c","n":1` + strings.Repeat("0", 400) + `}}}`, 400, "number_out_of_range", "64-bit float"},
		{"ordinary numbers", `{"type":"contact.created","data":{"contact":{"id":"c","n":[1.5e308,-2,1e-400,12345678901234567890]}}}`, 202, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, e, raw := do(t, h, key, "POST", "/v1/events", tc.body)
			if status != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("got %d %.300s, want %d %s mentioning %q", status, raw, tc.status, tc.code, tc.msg)
			}
		})
	}
}
