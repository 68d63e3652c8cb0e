package chatreply

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Helpers building bodies at and over the limits.

// jstr quotes s as a JSON string.
func jstr(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// runes is n runes of multibyte text, so that byte and rune counts differ.
func runes(n int) string { return strings.Repeat("日", n) }

func textMsgs(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"type":"text","text":"m%d"}`, i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func buttons(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"label":"b%d","value":"v%d"}`, i, i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func cards(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"title":"c%d"}`, i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func quickReplies(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"label":"q%d"}`, i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// urlOfLen is an https URL of exactly n bytes.
func urlOfLen(n int) string {
	const prefix = "https://cdn.example.com/"
	return prefix + strings.Repeat("a", n-len(prefix))
}

// contextOfLen is a compact JSON object of exactly n bytes.
func contextOfLen(n int) string {
	const frame = `{"k":""}`
	return `{"k":"` + strings.Repeat("x", n-len(frame)) + `"}`
}

// padTo pads a JSON body with trailing spaces to exactly n bytes.
func padTo(body string, n int) string { return body + strings.Repeat(" ", n-len(body)) }

func text(s string) Message { return Message{Type: TypeText, Text: s} }

func TestParseAccepts(t *testing.T) {
	msgsOf := func(n int) []Message {
		var ms []Message
		for i := range n {
			ms = append(ms, text(fmt.Sprintf("m%d", i)))
		}
		return ms
	}
	tests := []struct {
		name string
		body string
		ct   string
		want Reply
	}{
		{"simple", `{"reply":"Hi there"}`, "application/json", Reply{Messages: []Message{text("Hi there")}}},
		{"simple with extras", `{"reply":"Pick one","quick_replies":[{"label":"Yes"},{"label":"No","value":"no"}],"context":{ "step" : 2, "tags":[ 1, 2 ] },"action":"handoff"}`, "",
			Reply{Messages: []Message{text("Pick one")}, QuickReplies: []QuickReply{{"Yes", "Yes"}, {"No", "no"}}, Context: json.RawMessage(`{"step":2,"tags":[1,2]}`), Action: ActionHandoff}},
		{"text/plain is fine", `{"reply":"x"}`, "text/plain; charset=utf-8", Reply{Messages: []Message{text("x")}}},
		{"BOM and whitespace", "\xEF\xBB\xBF \r\n\t{\"reply\":\"x\"}\n", "", Reply{Messages: []Message{text("x")}}},
		{"nulls are absent", `{"reply":"x","messages":null,"quick_replies":null,"context":null,"action":null}`, "", Reply{Messages: []Message{text("x")}}},
		{"newlines and tabs allowed", `{"reply":"a\nb\r\n\tc\u007f"}`, "", Reply{Messages: []Message{text("a\nb\r\n\tc\x7f")}}},
		{"action only", `{"action":"end"}`, "", Reply{Messages: []Message{}, Action: ActionEnd}},
		{"empty messages with action", `{"messages":[],"action":"handoff"}`, "", Reply{Messages: []Message{}, Action: ActionHandoff}},
		{"empty action string", `{"reply":"x","action":""}`, "", Reply{Messages: []Message{text("x")}}},
		{"every message type", `{"messages":[
			{"type":"text","text":"Hello","buttons":[{"label":"Docs","url":"https://docs.example.com/a?b=c#d"},{"label":"Talk","value":"talk"}]},
			{"type":"image","url":"https://cdn.example.com/i.png","text":"caption","name":"alt"},
			{"type":"file","url":"https://cdn.example.com:8443/f.pdf","name":"f.pdf"},
			{"type":"card","title":"T","subtitle":"S","image_url":"https://cdn.example.com/c.png","buttons":[{"label":"Go","value":"go"}]},
			{"type":"carousel","cards":[{"title":"A","buttons":[{"label":"Buy","url":"https://shop.example.com/a"}]},{"title":"B","subtitle":"b","image_url":"https://cdn.example.com/b.png"}]}
		],"quick_replies":[{"label":"Ok","value":"ok"}],"context":{},"action":"end"}`, "",
			Reply{Messages: []Message{
				{Type: TypeText, Text: "Hello", Buttons: []Button{{Label: "Docs", URL: "https://docs.example.com/a?b=c#d"}, {Label: "Talk", Value: "talk"}}},
				{Type: TypeImage, URL: "https://cdn.example.com/i.png", Text: "caption", Name: "alt"},
				{Type: TypeFile, URL: "https://cdn.example.com:8443/f.pdf", Name: "f.pdf"},
				{Type: TypeCard, Title: "T", Subtitle: "S", ImageURL: "https://cdn.example.com/c.png", Buttons: []Button{{Label: "Go", Value: "go"}}},
				{Type: TypeCarousel, Cards: []Card{
					{Title: "A", Buttons: []Button{{Label: "Buy", URL: "https://shop.example.com/a"}}},
					{Title: "B", Subtitle: "b", ImageURL: "https://cdn.example.com/b.png"}}},
			}, QuickReplies: []QuickReply{{"Ok", "ok"}}, Context: json.RawMessage(`{}`), Action: ActionEnd}},
		{"duplicate keys: last wins", `{"reply":"a","reply":"b"}`, "", Reply{Messages: []Message{text("b")}}},
		{"uppercase scheme", `{"messages":[{"type":"image","url":"HTTPS://cdn.example.com/i.png"}]}`, "", Reply{Messages: []Message{{Type: TypeImage, URL: "HTTPS://cdn.example.com/i.png"}}}},

		// Limits, at the boundary.
		{"body of MaxBodyBytes", padTo(`{"reply":"x"}`, MaxBodyBytes), "", Reply{Messages: []Message{text("x")}}},
		{"reply of MaxTextRunes", `{"reply":"` + runes(MaxTextRunes) + `"}`, "", Reply{Messages: []Message{text(runes(MaxTextRunes))}}},
		{"MaxMessages messages", `{"messages":` + textMsgs(MaxMessages) + `}`, "", Reply{Messages: msgsOf(MaxMessages)}},
		{"label of MaxLabelRunes, value of MaxValueRunes", `{"reply":"x","quick_replies":[{"label":"` + runes(MaxLabelRunes) + `","value":"` + runes(MaxValueRunes) + `"}]}`, "",
			Reply{Messages: []Message{text("x")}, QuickReplies: []QuickReply{{runes(MaxLabelRunes), runes(MaxValueRunes)}}}},
		{"url of MaxURLBytes", `{"messages":[{"type":"image","url":"` + urlOfLen(MaxURLBytes) + `"}]}`, "", Reply{Messages: []Message{{Type: TypeImage, URL: urlOfLen(MaxURLBytes)}}}},
		{"context of MaxContextBytes", `{"reply":"x","context":` + contextOfLen(MaxContextBytes) + `}`, "", Reply{Messages: []Message{text("x")}, Context: json.RawMessage(contextOfLen(MaxContextBytes))}},
		{"context measured compacted", `{"reply":"x","context":` + strings.Replace(contextOfLen(MaxContextBytes), `{`, `{`+strings.Repeat(" ", 1000), 1) + `}`, "",
			Reply{Messages: []Message{text("x")}, Context: json.RawMessage(contextOfLen(MaxContextBytes))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body), tt.ct)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
			assertRoundTrip(t, got)
		})
	}
}

// assertRoundTrip checks that a parsed reply encodes to a body that parses
// to the same reply: normalisation is idempotent, and what the platform
// stores or forwards is itself a valid reply.
func assertRoundTrip(t testing.TB, r Reply) {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatalf("encoding %+v: %v", r, err)
	}
	if b.Len() > MaxBodyBytes {
		return // the normalised form can be a little longer than the original
	}
	again, err := Parse([]byte(b.String()), "application/json")
	if err != nil {
		t.Fatalf("re-parsing %s: %v", b.String(), err)
	}
	if !reflect.DeepEqual(again, r) {
		t.Fatalf("re-parsed %+v, want %+v", again, r)
	}
}

func TestTextReply(t *testing.T) {
	long := strings.Repeat("word ", 1000) // 5000 runes
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"short", "Hello", []string{"Hello"}},
		{"blank", "", nil},
		{"whitespace", " \n\t ", nil},
		{"exactly MaxTextRunes", runes(MaxTextRunes), []string{runes(MaxTextRunes)}},
		{"hard split", runes(MaxTextRunes + 1), []string{runes(MaxTextRunes), runes(1)}},
		{"split after a space", long, []string{long[:4095], long[4095:]}},
		{"split after a line break", runes(3000) + "\n" + runes(3000), []string{runes(3000) + "\n", runes(3000)}},
		{"early break ignored", "a\n" + runes(MaxTextRunes), []string{"a\n" + runes(MaxTextRunes-2), runes(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := TextReply(tt.text)
			if r.Messages == nil {
				t.Fatal("Messages is nil")
			}
			var got []string
			for _, m := range r.Messages {
				if m.Type != TypeText {
					t.Fatalf("type %q", m.Type)
				}
				got = append(got, m.Text)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %d parts %q..., want %d parts", len(got), truncate(strings.Join(got, "|"), 80), len(tt.want))
			}
		})
	}

	// Streamed text of up to MaxStreamTextRunes must always fit, whatever
	// mix of wide runes and spaces it has.
	t.Run("stream text fits", func(t *testing.T) {
		for _, unit := range []string{"😀😀😀😀 ", "a ", "😀" + strings.Repeat("a ", 3), strings.Repeat("😀", 900) + strings.Repeat(" a", 1500)} {
			s := []rune(strings.Repeat(unit, MaxStreamTextRunes/utf8.RuneCountInString(unit)+1))[:MaxStreamTextRunes]
			r := TextReply(string(s))
			var b strings.Builder
			for _, m := range r.Messages {
				b.WriteString(m.Text)
			}
			if len(r.Messages) > MaxMessages || b.String() != string(s) {
				t.Fatalf("unit %.10q: %d messages, kept %d of %d runes", unit, len(r.Messages), utf8.RuneCountInString(b.String()), len(s))
			}
		}
	})

	t.Run("cut after MaxMessages", func(t *testing.T) {
		r := TextReply(runes(MaxTextRunes*MaxMessages + 5))
		if len(r.Messages) != MaxMessages {
			t.Fatalf("%d messages", len(r.Messages))
		}
		for _, m := range r.Messages {
			if n := utf8.RuneCountInString(m.Text); n != MaxTextRunes {
				t.Fatalf("message of %d runes", n)
			}
		}
	})
}

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                true,
		"Text/Event-Stream; charset=utf-8": true,
		" text/event-stream ;;broken=":     true,
		"text/event-streams":               false,
		"application/json":                 false,
		"text/plain":                       false,
		"":                                 false,
	} {
		if got := IsEventStream(ct); got != want {
			t.Errorf("IsEventStream(%q) = %v", ct, got)
		}
	}
}
