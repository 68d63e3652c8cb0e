package chatreply

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// drain reads a stream to its end, returning the deltas and the error that
// ended it (nil for io.EOF).
func drain(t testing.TB, r io.Reader) (*Stream, []string, error) {
	t.Helper()
	s := NewStream(r)
	var deltas []string
	for range 100000 {
		d, err := s.Next()
		if err == io.EOF {
			return s, deltas, nil
		}
		if err != nil {
			if d != "" {
				t.Fatalf("Next returned %q with error %v", d, err)
			}
			return s, deltas, err
		}
		if d == "" {
			t.Fatal("Next returned an empty delta")
		}
		deltas = append(deltas, d)
	}
	t.Fatal("stream did not end")
	return nil, nil, nil
}

const anthropicStream = `event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","usage":{"input_tokens":5,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}

event: message_stop
data: {"type":"message_stop"}

data: not read after message_stop

`

const openAIStream = `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":1,"delta":{"content":"other choice"}}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"total_tokens":9}}

data: [DONE]

data: not read after DONE

`

func TestStreamDeltas(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   []string
	}{
		{"plain text", "data: Hello\n\ndata: world\n\n", []string{"Hello", "world"}},
		{"one leading space removed", "data:a\n\ndata:  b\n\ndata:\tc\n\n", []string{"a", " b", "\tc"}},
		{"multi-line data", "data: line 1\ndata:\ndata: line 3\n\n", []string{"line 1\n\nline 3"}},
		{"CRLF", "data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", []string{"a\nb", "c"}},
		{"CR", "data: a\rdata: b\r\rdata: c\r\r", []string{"a\nb", "c"}},
		{"mixed line endings", "data: a\r\n\rdata: b\n\r\ndata: c\r\n\n", []string{"a", "b", "c"}},
		{"comments", ": keep-alive\ndata: a\n:another\n\n:\n\n", []string{"a"}},
		{"BOM", "\xEF\xBB\xBFdata: a\n\n", []string{"a"}},
		{"BOM only once", "\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n", []string{"b"}},
		{"id and retry ignored", "id: 1\nretry: 100\ndata: a\nid\n\n", []string{"a"}},
		{"unknown field ignored", "foo: bar\ndata: a\n\n", []string{"a"}},
		{"field without colon", "data\ndata\n\ndata: x\n\n", []string{"\n", "x"}},
		{"empty data skipped", "data:\n\ndata: \n\ndata: x\n\n", []string{"x"}},
		{"event without data not dispatched", "event: message_stop\n\ndata: x\n\n", []string{"x"}},
		{"unterminated event discarded", "data: a\n\ndata: b\n", []string{"a"}},
		{"unterminated line discarded", "data: a\n\ndata: b", []string{"a"}},
		{"event type reset after dispatch", "event: ping\ndata: skipped\n\ndata: a\n\n", []string{"a"}},
		{"named data events", "event: message\ndata: a\n\nevent: delta\ndata: b\n\nevent: text\ndata: c\n\n", []string{"a", "b", "c"}},
		{"other events skipped", "event: status\ndata: thinking\n\nevent: response.created\ndata: {}\n\ndata: a\n\n", []string{"a"}},
		{"delta and text objects", `data: {"delta":"a"}` + "\n\n" + `data: {"text":"b"}` + "\n\n" + `data: {"delta":"","id":1}` + "\n\n", []string{"a", "b"}},
		{"JSON escapes", `data: {"delta":"line\nnext \u00e9"}` + "\n\n", []string{"line\nnext é"}},
		{"null error ignored", `data: {"error":null,"delta":"a"}` + "\n\n", []string{"a"}},
		{"typed control objects skipped", `data: {"type":"response.created","response":{}}` + "\n\n" + `data: {"type":"response.output_text.delta","delta":"a"}` + "\n\n", []string{"a"}},
		{"not JSON objects are text", "data: 42\n\ndata: [1]\n\ndata: {not json\n\ndata: \"q\"\n\n", []string{"42", "[1]", "{not json", `"q"`}},
		{"invalid UTF-8 replaced", "data: caf\xe9!\n\n", []string{"caf\uFFFD!"}},
		{"DONE ends", "data: a\n\ndata: [DONE]\n\ndata: b\n\n", []string{"a"}},
		{"OpenAI", openAIStream, []string{"Hel", "lo"}},
		{"OpenAI legacy completions", `data: {"choices":[{"text":"a","index":0}]}` + "\n\ndata: [DONE]\n\n", []string{"a"}},
		{"Anthropic", anthropicStream, []string{"Hello", " there"}},
		{"Anthropic without event names", `data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}` + "\n\n" + `data: {"type":"message_stop"}` + "\n\ndata: b\n\n", []string{"a"}},
		{"message_stop event ends", "data: a\n\nevent: message_stop\ndata: {}\n\ndata: b\n\n", []string{"a"}},
		{"empty stream", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.stream), iotest.OneByteReader(strings.NewReader(tt.stream))} {
				s, got, err := drain(t, r)
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("deltas %q, want %q", got, tt.want)
				}
				if s.Text() != strings.Join(tt.want, "") {
					t.Fatalf("Text() = %q", s.Text())
				}
				if d, err := s.Next(); d != "" || err != io.EOF {
					t.Fatalf("Next after the end = %q, %v", d, err)
				}
			}
		})
	}
}

func TestStreamFinal(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   Reply
	}{
		{"streamed text", "data: Hel\n\ndata: lo\n\n", Reply{Messages: []Message{text("Hello")}}},
		{"reply event adds to streamed text", "data: Pick\n\nevent: reply\ndata: {\"quick_replies\":[{\"label\":\"Yes\"}],\n" +
			"data: \"context\":{ \"step\": 1 },\"action\":\"handoff\"}\n\ndata: ignored\n\n",
			Reply{Messages: []Message{text("Pick")}, QuickReplies: []QuickReply{{"Yes", "Yes"}}, Context: json.RawMessage(`{"step":1}`), Action: ActionHandoff}},
		{"reply event messages win", "data: draft\n\nevent: reply\ndata: {\"messages\":[{\"type\":\"text\",\"text\":\"Final\"},{\"type\":\"image\",\"url\":\"https://x.example/i.png\"}]}\n\n",
			Reply{Messages: []Message{text("Final"), {Type: TypeImage, URL: "https://x.example/i.png"}}}},
		{"reply event simple form", "event: reply\ndata: {\"reply\":\"Whole\"}\n\n", Reply{Messages: []Message{text("Whole")}}},
		{"final object", `data: {"delta":"Hi"}` + "\n\n" + `data: {"final":{"context":{"a":1}}}` + "\n\ndata: ignored\n\n",
			Reply{Messages: []Message{text("Hi")}, Context: json.RawMessage(`{"a":1}`)}},
		{"action only", "event: reply\ndata: {\"action\":\"end\"}\n\n", Reply{Messages: []Message{}, Action: ActionEnd}},
		{"long text is split", "data: " + runes(MaxTextRunes) + "\n\ndata: " + runes(10) + "\n\n", Reply{Messages: []Message{text(runes(MaxTextRunes)), text(runes(10))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := drain(t, strings.NewReader(tt.stream))
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			got, err := s.Final()
			if err != nil {
				t.Fatalf("Final: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Final =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestStreamRefuses(t *testing.T) {
	overText := strings.Repeat("data: "+runes(MaxTextRunes)+"\n\n", 4) + "data: x\n\n"
	tests := []struct {
		name     string
		stream   string
		deltas   int // deltas before the error
		code     string
		path     string
		contains string
	}{
		{"error event", "data: a\n\nevent: error\ndata: upstream timed out\n\n", 1, CodeStream, "", "upstream timed out"},
		{"Anthropic error event", `event: error` + "\n" + `data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` + "\n\n", 0, CodeStream, "", "Overloaded"},
		{"error event without message", "event: error\ndata: {}\n\n", 0, CodeStream, "", ""},
		{"error object", `data: {"error":{"message":"Rate limit reached","type":"requests"}}` + "\n\n", 0, CodeStream, "", "Rate limit reached"},
		{"error string", `data: {"error":"boom"}` + "\n\n", 0, CodeStream, "", "boom"},
		{"error type", `data: {"type":"error","message":"bad"}` + "\n\n", 0, CodeStream, "", "bad"},
		{"unrecognised object", `data: {"content":"hi"}` + "\n\n", 0, CodeStream, "", ""},
		{"choices of the wrong shape", `data: {"choices":{"delta":"x"}}` + "\n\n", 0, CodeStream, "", ""},
		{"control character", `data: {"delta":"a\u0000"}` + "\n\n", 0, CodeInvalid, "", "U+0000"},
		{"bad reply event", "data: a\n\nevent: reply\ndata: {\"quick_replies\":[{\"label\":\"\"}]}\n\n", 1, CodeInvalid, "/quick_replies/0/label", "final reply"},
		{"reply event not JSON", "event: reply\ndata: thanks\n\n", 0, CodeNotJSON, "", ""},
		{"reply event unknown field", "event: reply\ndata: {\"delta\":\"x\"}\n\n", 0, CodeInvalid, "/delta", ""},
		{"bad final object", `data: {"final":{"action":"close"}}` + "\n\n", 0, CodeInvalid, "/action", ""},
		{"line over MaxStreamLineBytes", "data: a\n\n:" + strings.Repeat("x", MaxStreamLineBytes) + "\n", 1, CodeTooLarge, "", ""},
		{"stream over MaxStreamBytes", "data: a\n\n" + strings.Repeat(":"+strings.Repeat("x", 1000)+"\n", MaxStreamBytes/1000), 1, CodeTooLarge, "", ""},
		{"text over MaxStreamTextRunes", overText, 4, CodeTooLarge, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, deltas, err := drain(t, strings.NewReader(tt.stream))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ended with %v after %q; want an *Error", err, deltas)
			}
			if e.Code != tt.code || e.Path != tt.path || !strings.Contains(e.Message, tt.contains) {
				t.Fatalf("error %q at %q: %s; want %q at %q containing %q", e.Code, e.Path, e.Message, tt.code, tt.path, tt.contains)
			}
			if len(deltas) != tt.deltas {
				t.Fatalf("%d deltas before the error, want %d", len(deltas), tt.deltas)
			}
			if _, again := s.Next(); again != err {
				t.Fatalf("Next after the error = %v", again)
			}
			if _, ferr := s.Final(); ferr != err {
				t.Fatalf("Final = %v, want the stream's error", ferr)
			}
		})
	}
}

func TestStreamLimitsAtBoundary(t *testing.T) {
	t.Run("line of MaxStreamLineBytes", func(t *testing.T) {
		_, got, err := drain(t, strings.NewReader(":"+strings.Repeat("x", MaxStreamLineBytes-1)+"\ndata: a\n\n"))
		if err != nil || len(got) != 1 {
			t.Fatalf("%q, %v", got, err)
		}
	})
	t.Run("stream of MaxStreamBytes", func(t *testing.T) {
		tail := "data: a\n\n"
		var b strings.Builder
		for b.Len() < MaxStreamBytes-len(tail)-1002 {
			b.WriteString(":" + strings.Repeat("x", 999) + "\n")
		}
		b.WriteString(":" + strings.Repeat("x", MaxStreamBytes-len(tail)-b.Len()-2) + "\n")
		b.WriteString(tail)
		if b.Len() != MaxStreamBytes {
			t.Fatalf("built %d bytes", b.Len())
		}
		_, got, err := drain(t, strings.NewReader(b.String()))
		if err != nil || len(got) != 1 {
			t.Fatalf("%q, %v", got, err)
		}
	})
	t.Run("text of MaxStreamTextRunes", func(t *testing.T) {
		s, got, err := drain(t, strings.NewReader(strings.Repeat("data: "+runes(MaxTextRunes)+"\n\n", 4)))
		if err != nil || len(got) != 4 {
			t.Fatalf("%d deltas, %v", len(got), err)
		}
		r, err := s.Final()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) != 4 || r.Messages[3].Text != runes(MaxTextRunes) {
			t.Fatalf("%d messages", len(r.Messages))
		}
	})
}

func TestStreamFinalErrors(t *testing.T) {
	s := NewStream(strings.NewReader("data: a\n\n"))
	if _, err := s.Final(); err == nil {
		t.Fatal("Final before the end succeeded")
	}
	for _, stream := range []string{"", ": only a comment\n\n", "data: \n\ndata: \n\n", "data: [DONE]\n\n", "event: reply\ndata: {}\n\n"} {
		s, _, err := drain(t, strings.NewReader(stream))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Final()
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalid {
			t.Errorf("Final of %q = %v; want %s", stream, err, CodeInvalid)
		}
	}
}

func TestStreamReadError(t *testing.T) {
	boom := errors.New("connection reset")
	s, got, err := drain(t, io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Fatalf("%q, %v", got, err)
	}
	if _, ferr := s.Final(); !errors.Is(ferr, boom) {
		t.Fatalf("Final = %v", ferr)
	}
}

// TestStreamDoesNotReadAhead checks that a delta comes out as soon as the
// blank line ending its event has arrived, even when that line ends in a CR
// whose LF (if any) has not been sent yet.
func TestStreamDoesNotReadAhead(t *testing.T) {
	for _, tt := range []struct {
		name   string
		chunks [2]string
	}{
		{"LF", [2]string{"data: first\n\n", "data: second\n\n"}},
		{"CR", [2]string{"data: first\r\r", "data: second\r\r"}},
		// The first chunk ends after the CR of the blank line; its LF comes later.
		{"CRLF", [2]string{"data: first\r\n\r", "\ndata: second\r\n\r\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pr.Close()
			s := NewStream(pr)
			next := func() (string, error) {
				type result struct {
					d   string
					err error
				}
				c := make(chan result, 1)
				go func() { d, err := s.Next(); c <- result{d, err} }()
				select {
				case r := <-c:
					return r.d, r.err
				case <-time.After(10 * time.Second):
					t.Fatal("Next blocked: it read beyond the event")
					return "", nil
				}
			}
			go pw.Write([]byte(tt.chunks[0]))
			if d, err := next(); d != "first" || err != nil {
				t.Fatalf("Next = %q, %v", d, err)
			}
			go func() {
				pw.Write([]byte(tt.chunks[1]))
				pw.Close()
			}()
			if d, err := next(); d != "second" || err != nil {
				t.Fatalf("Next = %q, %v", d, err)
			}
			if d, err := next(); d != "" || err != io.EOF {
				t.Fatalf("Next = %q, %v", d, err)
			}
			if s.Text() != "firstsecond" {
				t.Fatalf("Text() = %q", s.Text())
			}
		})
	}
}
