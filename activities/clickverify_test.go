package activities

import (
	"testing"

	"github.com/switchboardhq/switchboard/outbound"
)

// The doc's reading of an app's answer: only a 2xx saying "verified":
// false rejects; everything else verifies, failures with their reason.
func TestClickAnswer(t *testing.T) {
	for _, tc := range []struct {
		res    outbound.Result
		ok     bool
		reason string
	}{
		{outbound.Result{Status: 200, Body: []byte(`{"verified": false}`)}, false, "rejected"},
		{outbound.Result{Status: 201, Body: []byte(`{"result": {"verified": false, "why": "fraud"}}`)}, false, "rejected"},
		{outbound.Result{Status: 200, Body: []byte(`{"verified": true}`)}, true, "verified"},
		{outbound.Result{Status: 200, Body: []byte(`{"verified": "false"}`)}, true, "verified"},
		{outbound.Result{Status: 200, Body: []byte(`{"result": false}`)}, true, "verified"},
		{outbound.Result{Status: 204}, true, "verified"},
		{outbound.Result{Status: 200, Body: []byte(`<html>no</html>`)}, true, "verified"},
		{outbound.Result{Status: 503, Fail: outbound.FailHTTP, Body: []byte(`{"verified": false}`)}, true, "http_503"},
		{outbound.Result{Status: 302, Fail: outbound.FailRedirect}, true, "redirect"},
		{outbound.Result{Fail: outbound.FailTimeout}, true, "timeout"},
		{outbound.Result{Fail: outbound.FailNetwork}, true, "network_error"},
		{outbound.Result{Fail: outbound.FailRefused}, true, "refused"},
		{outbound.Result{Fail: outbound.FailSign}, true, "secret_error"},
	} {
		if ok, reason := ClickAnswer(tc.res); ok != tc.ok || reason != tc.reason {
			t.Errorf("%d %q %s: %v %q, want %v %q", tc.res.Status, tc.res.Body, tc.res.Fail, ok, reason, tc.ok, tc.reason)
		}
	}
}
