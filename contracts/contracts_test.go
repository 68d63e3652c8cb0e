package contracts

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWireFormat pins the JSON encoding of every type that travels through
// Temporal. Recorded histories and payloads of runs in flight were written
// with these field names and types; a rename or retype breaks their
// decoding, so it must fail here first. New fields are appended to the
// expected text, never substituted.
func TestWireFormat(t *testing.T) {
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"DeliveryWorkflowInput", DeliveryWorkflowInput{DeliveryID: "dlv_1", Schedule: []time.Duration{time.Second}, FirstAttempt: 2, AttemptTimeout: 3 * time.Second},
			`{"DeliveryID":"dlv_1","Schedule":[1000000000],"FirstAttempt":2,"AttemptTimeout":3000000000}`},
		{"DeliveryWorkflowResult", DeliveryWorkflowResult{Status: "succeeded", Attempts: 1},
			`{"Status":"succeeded","Attempts":1}`},
		{"DeliverActivityInput", DeliverActivityInput{DeliveryID: "dlv_1", Attempt: 2, NextDelay: time.Second, Final: true, Timeout: 2 * time.Second},
			`{"DeliveryID":"dlv_1","Attempt":2,"NextDelay":1000000000,"Final":true,"Timeout":2000000000}`},
		{"DeliverActivityResult", DeliverActivityResult{StatusCode: 200, DurationMicros: 5},
			`{"StatusCode":200,"DurationMicros":5}`},
		{"DeliveryOutcome", DeliveryOutcome{DeliveryID: "dlv_1", WebhookID: "wh_1", Attempt: 1, NextDelay: 1, Final: true, URL: "https://h/…",
			RequestHeaders: map[string]string{"A": "b"}, StatusCode: 500, OK: false, DurationMicros: 7, RetryAfter: 2, Error: "HTTP 500"},
			`{"DeliveryID":"dlv_1","WebhookID":"wh_1","Attempt":1,"NextDelay":1,"Final":true,"URL":"https://h/…","RequestHeaders":{"A":"b"},"StatusCode":500,"OK":false,"DurationMicros":7,"RetryAfter":2,"Error":"HTTP 500"}`},
		{"DeliveryOutcome of an app", DeliveryOutcome{DeliveryID: "dlv_2", Attempt: 1, MissingVariables: []string{"friend_email"}},
			`{"DeliveryID":"dlv_2","WebhookID":"","Attempt":1,"NextDelay":0,"Final":false,"URL":"","RequestHeaders":null,"StatusCode":0,"OK":false,"DurationMicros":0,"RetryAfter":0,"Error":"","MissingVariables":["friend_email"]}`},
		{"MarkDeliveryActivityInput", MarkDeliveryActivityInput{DeliveryID: "dlv_1", Status: "cancelled"},
			`{"DeliveryID":"dlv_1","Status":"cancelled"}`},
		{"LookupWorkflowInput", LookupWorkflowInput{LookupID: "lkp_1", AttemptTimeout: time.Second},
			`{"LookupID":"lkp_1","AttemptTimeout":1000000000}`},
		{"LookupWorkflowResult", LookupWorkflowResult{Status: "failed", Attempts: 2, Error: "HTTP 500"},
			`{"Status":"failed","Attempts":2,"Error":"HTTP 500"}`},
		{"LookupActivityInput", LookupActivityInput{LookupID: "lkp_1", Attempt: 1, Final: false, Timeout: time.Second},
			`{"LookupID":"lkp_1","Attempt":1,"Final":false,"Timeout":1000000000}`},
		{"LookupActivityResult", LookupActivityResult{StatusCode: 200, DurationMicros: 9},
			`{"StatusCode":200,"DurationMicros":9}`},
		{"FailLookupActivityInput", FailLookupActivityInput{LookupID: "lkp_1", Reason: "r"},
			`{"LookupID":"lkp_1","Reason":"r"}`},
		{"TestSendWorkflowInput", TestSendWorkflowInput{Send: TestSendActivityInput{OrgID: "org_1", WebhookID: "wh_1", EventType: "contact.created", MessageID: "test_1", Timeout: 1}, AttemptTimeout: 2},
			`{"Send":{"OrgID":"org_1","WebhookID":"wh_1","EventType":"contact.created","MessageID":"test_1","Timeout":1},"AttemptTimeout":2}`},
		{"TestSendWorkflowResult", TestSendWorkflowResult{StatusCode: 200, ResponseBody: "ok", DurationMicros: 3, Success: true},
			`{"status_code":200,"response_body":"ok","duration_us":3,"success":true}`},
		{"TestSendActivityResult", TestSendActivityResult{StatusCode: 500, Error: "HTTP 500"},
			`{"status_code":500,"response_body":"","duration_us":0,"error":"HTTP 500","success":false}`},
		{"ClickVerificationWorkflowInput", ClickVerificationWorkflowInput{VerificationID: "cvf_1", Apps: []ClickVerifyAppInput{{VerificationID: "cvf_1", AppID: "app_1", Timeout: 1}}},
			`{"VerificationID":"cvf_1","Apps":[{"VerificationID":"cvf_1","AppID":"app_1","Timeout":1}]}`},
		{"ClickVerifyAppResult", ClickVerifyAppResult{AppID: "app_1", Verified: true, Reason: "timeout", StatusCode: 0, DurationMicros: 2},
			`{"AppID":"app_1","Verified":true,"Reason":"timeout","StatusCode":0,"DurationMicros":2}`},
		{"FinishClickVerificationInput", FinishClickVerificationInput{VerificationID: "cvf_1", Outcomes: []ClickVerifyAppResult{{AppID: "app_1"}}},
			`{"VerificationID":"cvf_1","Outcomes":[{"AppID":"app_1","Verified":false,"Reason":"","StatusCode":0,"DurationMicros":0}]}`},
		{"ClickVerifyAppInput with CallBy", ClickVerifyAppInput{VerificationID: "cvf_1", AppID: "app_1", Timeout: 1, CallBy: time.Date(2026, 12, 4, 10, 0, 0, 5e6, time.UTC)},
			`{"VerificationID":"cvf_1","AppID":"app_1","Timeout":1,"CallBy":"2026-12-04T10:00:00.005Z"}`},
		{"ClickVerificationWorkflowResult", ClickVerificationWorkflowResult{Verified: false, Reason: "rejected"},
			`{"Verified":false,"Reason":"rejected"}`},
		{"AppSampleWorkflowInput", AppSampleWorkflowInput{Send: AppSampleActivityInput{OrgID: "org_1", AppID: "app_1", Action: "event", MessageID: "smp_1", Timeout: 1}},
			`{"Send":{"OrgID":"org_1","AppID":"app_1","Action":"event","MessageID":"smp_1","Timeout":1}}`},
		{"AppSampleResult", AppSampleResult{StatusCode: 200, Success: true, Payload: []byte(`{"a":"b"}`), MissingVariables: []string{"x"}},
			`{"status_code":200,"response_body":"","duration_us":0,"success":true,"payload":{"a":"b"},"missing_variables":["x"]}`},
	}
	for _, tc := range cases {
		got, err := json.Marshal(tc.v)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s encodes as\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// TestOlderPayloadsDecode decodes payloads as workflow code before this
// package wrote them (no Timeout field): the zero value is what the
// activities read as "use the configured timeout".
func TestOlderPayloadsDecode(t *testing.T) {
	var d DeliverActivityInput
	if err := json.Unmarshal([]byte(`{"DeliveryID":"dlv_1","Attempt":3,"NextDelay":5000000000,"Final":false}`), &d); err != nil {
		t.Fatal(err)
	}
	if d != (DeliverActivityInput{DeliveryID: "dlv_1", Attempt: 3, NextDelay: 5 * time.Second}) {
		t.Errorf("DeliverActivityInput = %+v", d)
	}
	var l LookupActivityInput
	if err := json.Unmarshal([]byte(`{"LookupID":"lkp_1","Attempt":2,"Final":true}`), &l); err != nil {
		t.Fatal(err)
	}
	if l != (LookupActivityInput{LookupID: "lkp_1", Attempt: 2, Final: true}) {
		t.Errorf("LookupActivityInput = %+v", l)
	}
	var s TestSendWorkflowInput
	if err := json.Unmarshal([]byte(`{"Send":{"OrgID":"org_1","WebhookID":"wh_1","EventType":"contact.created","MessageID":"test_1"},"AttemptTimeout":30000000000}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Send.Timeout != 0 || s.AttemptTimeout != 30*time.Second || s.Send.WebhookID != "wh_1" {
		t.Errorf("TestSendWorkflowInput = %+v", s)
	}
}

// A MarkDelivery task scheduled with positional arguments by older workflow
// code reaches the struct parameter as its first payload, a JSON string:
// it decodes to the delivery ID without a status instead of failing.
func TestMarkDeliveryInputDecodesTheOlderPositionalForm(t *testing.T) {
	var in MarkDeliveryActivityInput
	if err := json.Unmarshal([]byte(`"dlv_1"`), &in); err != nil {
		t.Fatal(err)
	}
	if in != (MarkDeliveryActivityInput{DeliveryID: "dlv_1"}) {
		t.Errorf("legacy form decodes to %+v", in)
	}
	if err := json.Unmarshal([]byte(`{"DeliveryID":"dlv_2","Status":"failed"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in != (MarkDeliveryActivityInput{DeliveryID: "dlv_2", Status: "failed"}) {
		t.Errorf("struct form decodes to %+v", in)
	}
	if err := json.Unmarshal([]byte(`[1]`), &in); err == nil {
		t.Error("an array decoded without error")
	}
}

func TestWorkflowIDs(t *testing.T) {
	for got, want := range map[string]string{
		DeliveryWorkflowID("dlv_1"):          "delivery-dlv_1",
		LookupWorkflowID("lkp_1"):            "lookup-lkp_1",
		TestSendWorkflowID("test_1"):         "test-test_1",
		ClickVerificationWorkflowID("cvf_1"): "clickverify-cvf_1",
		AppSampleWorkflowID("smp_1"):         "appsample-smp_1",
	} {
		if got != want {
			t.Errorf("workflow ID %q, want %q", got, want)
		}
	}
}

func TestSearchAttributesNamesEveryKey(t *testing.T) {
	got := SearchAttributes()
	for _, name := range []string{"SwitchboardOrg", "SwitchboardEndpoint", "SwitchboardEventType", "SwitchboardStatus"} {
		if _, ok := got[name]; !ok {
			t.Errorf("SearchAttributes() lacks %s", name)
		}
	}
	if len(got) != 4 {
		t.Errorf("SearchAttributes() has %d entries, want 4", len(got))
	}
}

// TestIsALeaf keeps the package importable by every starter without
// pulling in the worker's dependencies: only the standard library and
// Temporal's own modules.
func TestIsALeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") && !strings.HasPrefix(path, "go.temporal.io/") {
				t.Errorf("%s imports %s: contracts may import only the standard library and go.temporal.io", f, path)
			}
		}
	}
}
