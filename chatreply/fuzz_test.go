package chatreply

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"reply":"Hi"}`,
		`{"reply":"Pick","quick_replies":[{"label":"Yes"},{"label":"No","value":"n"}],"context":{"a":[1,{"b":null}]},"action":"handoff"}`,
		`{"messages":[{"type":"text","text":"t","buttons":[{"label":"a","url":"https://x.example/"}]},{"type":"image","url":"https://x.example/i.png","text":"c","name":"n"},{"type":"file","url":"https://x.example/f"},{"type":"card","title":"t","subtitle":"s","image_url":"https://x.example/c.png","buttons":[{"label":"b","value":"v"}]},{"type":"carousel","cards":[{"title":"a"},{"title":"b","buttons":[{"label":"c","value":"d"}]}]}]}`,
		`{"messages":[],"action":"end"}`,
		`{"action":"end","context":null}`,
		`{}`,
		`[]`,
		`<html>`,
		"\xEF\xBB\xBF {\"reply\":\"x\"}",
		`{"reply":"a\u0000"}`,
		`{"reply":"\ud800"}`,
		`{"messages":[{"type":"image","url":"https://u@x.example/"}]}`,
		`{"messages":[{"type":"text","text":"x","a/b":1}]}`,
		`{"reply":"x","messages":[]}`,
		"{\"reply\":\"\xff\"}",
	} {
		f.Add([]byte(seed), "")
	}
	f.Add([]byte(`{"reply":"x"}`), "text/html")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r, err := Parse(body, contentType)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if e.Code == "" || e.Message == "" || !utf8.ValidString(e.Error()) {
				t.Fatalf("bad error %#v", e)
			}
			return
		}
		if r.Messages == nil || (len(r.Messages) == 0 && r.Action == "") {
			t.Fatalf("accepted an empty reply: %+v", r)
		}
		assertRoundTrip(t, r)
	})
}

func FuzzStream(f *testing.F) {
	for _, seed := range []string{
		"data: Hello\n\ndata: world\n\n",
		"data: a\r\n\r\ndata: b\r\rdata: c\n\n",
		"\xEF\xBB\xBF: comment\nevent: delta\ndata: x\ndata: y\nid: 1\n\n",
		openAIStream,
		anthropicStream,
		"data: a\n\nevent: reply\ndata: {\"quick_replies\":[{\"label\":\"Yes\"}],\"action\":\"handoff\"}\n\n",
		`data: {"final":{"messages":[{"type":"text","text":"x"}]}}` + "\n\n",
		"event: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n",
		`data: {"delta":"a"}` + "\n\n" + `data: {"text":"b"}` + "\n\ndata: [DONE]\n\n",
		"data: caf\xe9\n\ndata: unterminated",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// Reading byte by byte must give exactly what reading at once gives.
		whole, wholeDeltas, wholeErr := drain(t, strings.NewReader(string(body)))
		bytewise, byteDeltas, byteErr := drain(t, iotest.OneByteReader(strings.NewReader(string(body))))
		if !reflect.DeepEqual(wholeDeltas, byteDeltas) || !sameError(wholeErr, byteErr) {
			t.Fatalf("whole: %q, %v; byte by byte: %q, %v", wholeDeltas, wholeErr, byteDeltas, byteErr)
		}
		if whole.Text() != bytewise.Text() || whole.Text() != strings.Join(wholeDeltas, "") {
			t.Fatal("Text() differs from the deltas")
		}
		if n := utf8.RuneCountInString(whole.Text()); n > MaxStreamTextRunes {
			t.Fatalf("%d runes of text", n)
		}
		r, err := whole.Final()
		if wholeErr != nil {
			if err != wholeErr {
				t.Fatalf("Final = %v, want %v", err, wholeErr)
			}
			return
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Final error %T is not an *Error", err)
			}
			return
		}
		assertRoundTrip(t, r)
		if _, err := whole.Next(); err != io.EOF {
			t.Fatalf("Next after the end = %v", err)
		}
	})
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}
