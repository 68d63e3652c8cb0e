package chatreply

import (
	"errors"
	"strings"
	"testing"
)

func msg(m string) string { return `{"messages":[` + m + `]}` }

func TestParseRefuses(t *testing.T) {
	img := func(url string) string { return msg(`{"type":"image","url":` + jstr(url) + `}`) }
	tests := []struct {
		name string
		body string
		ct   string
		code string
		path string
	}{
		// The body as a whole.
		{"over MaxBodyBytes", padTo(`{"reply":"x"}`, MaxBodyBytes+1), "", CodeTooLarge, ""},
		{"html content type", `{"reply":"x"}`, "text/html; charset=utf-8", CodeHTML, ""},
		{"html content type, upper case", `{"reply":"x"}`, "TEXT/HTML", CodeHTML, ""},
		{"xhtml content type", `{"reply":"x"}`, "application/xhtml+xml", CodeHTML, ""},
		{"html body", "<html><body>502 Bad Gateway</body></html>", "application/json", CodeHTML, ""},
		{"html body after BOM and whitespace", "\xEF\xBB\xBF \n <!DOCTYPE html>", "", CodeHTML, ""},
		{"large html body is html", "<html>" + strings.Repeat("x", MaxBodyBytes), "", CodeHTML, ""},
		{"empty", "", "", CodeNotJSON, ""},
		{"blank", " \n\t", "", CodeNotJSON, ""},
		{"plain text", "Hello there", "", CodeNotJSON, ""},
		{"invalid UTF-8", "{\"reply\":\"caf\xe9\"}", "", CodeNotJSON, ""},
		{"truncated", `{"reply":"x"`, "", CodeNotJSON, ""},
		{"trailing garbage", `{"reply":"x"} {}`, "", CodeNotJSON, ""},
		{"array", `[{"reply":"x"}]`, "", CodeInvalid, ""},
		{"string", `"hello"`, "", CodeInvalid, ""},
		{"null", `null`, "", CodeInvalid, ""},
		{"empty object", `{}`, "", CodeInvalid, ""},
		{"only context", `{"context":{"a":1}}`, "", CodeInvalid, ""},
		{"only quick replies", `{"quick_replies":[{"label":"a"}]}`, "", CodeInvalid, ""},
		{"empty messages", `{"messages":[]}`, "", CodeInvalid, "/messages"},

		// Top-level fields.
		{"reply and messages", `{"reply":"x","messages":[{"type":"text","text":"y"}]}`, "", CodeInvalid, "/reply"},
		{"reply and bad messages", `{"messages":7,"reply":"x"}`, "", CodeInvalid, "/reply"},
		{"unknown top-level field", `{"reply":"x","buttons":[]}`, "", CodeInvalid, "/buttons"},
		{"unknown field is case-sensitive", `{"Reply":"x"}`, "", CodeInvalid, "/Reply"},
		{"unknown field escaped in path", `{"reply":"x","a/b~c":1}`, "", CodeInvalid, "/a~1b~0c"},
		{"reply not a string", `{"reply":42}`, "", CodeInvalid, "/reply"},
		{"reply blank", `{"reply":"  \n"}`, "", CodeInvalid, "/reply"},
		{"reply over MaxTextRunes", `{"reply":"` + runes(MaxTextRunes+1) + `"}`, "", CodeTooLarge, "/reply"},
		{"reply with NUL", `{"reply":"a\u0000b"}`, "", CodeInvalid, "/reply"},
		{"reply with ESC", `{"reply":"\u001b[31mred"}`, "", CodeInvalid, "/reply"},
		{"messages not an array", `{"messages":{"type":"text"}}`, "", CodeInvalid, "/messages"},
		{"over MaxMessages", `{"messages":` + textMsgs(MaxMessages+1) + `}`, "", CodeTooLarge, "/messages"},
		{"action unknown", `{"reply":"x","action":"transfer"}`, "", CodeInvalid, "/action"},
		{"action is case-sensitive", `{"reply":"x","action":"HANDOFF"}`, "", CodeInvalid, "/action"},
		{"action not a string", `{"reply":"x","action":true}`, "", CodeInvalid, "/action"},
		{"context array", `{"reply":"x","context":[1]}`, "", CodeInvalid, "/context"},
		{"context string", `{"reply":"x","context":"{}"}`, "", CodeInvalid, "/context"},
		{"context number", `{"reply":"x","context":1}`, "", CodeInvalid, "/context"},
		{"context over MaxContextBytes", `{"reply":"x","context":` + contextOfLen(MaxContextBytes+1) + `}`, "", CodeTooLarge, "/context"},

		// Messages.
		{"message not an object", msg(`"hi"`), "", CodeInvalid, "/messages/0"},
		{"message type missing", msg(`{"text":"hi"}`), "", CodeInvalid, "/messages/0/type"},
		{"message type null", msg(`{"type":null,"text":"hi"}`), "", CodeInvalid, "/messages/0/type"},
		{"message type not a string", msg(`{"type":1,"text":"hi"}`), "", CodeInvalid, "/messages/0/type"},
		{"message type unknown", msg(`{"type":"video","url":"https://x.example/v.mp4"}`), "", CodeInvalid, "/messages/0/type"},
		{"message type is case-sensitive", msg(`{"type":"Text","text":"hi"}`), "", CodeInvalid, "/messages/0/type"},
		{"unknown message field", msg(`{"type":"text","text":"hi","colour":"red"}`), "", CodeInvalid, "/messages/0/colour"},
		{"field of another type", msg(`{"type":"text","text":"hi","url":"https://x.example/"}`), "", CodeInvalid, "/messages/0/url"},
		{"cards on a card", msg(`{"type":"card","title":"t","cards":[]}`), "", CodeInvalid, "/messages/0/cards"},
		{"text missing", msg(`{"type":"text"}`), "", CodeInvalid, "/messages/0/text"},
		{"text blank", `{"messages":[{"type":"text","text":"ok"},{"type":"text","text":" \t"}]}`, "", CodeInvalid, "/messages/1/text"},
		{"text not a string", msg(`{"type":"text","text":["hi"]}`), "", CodeInvalid, "/messages/0/text"},
		{"text over MaxTextRunes", msg(`{"type":"text","text":"` + runes(MaxTextRunes+1) + `"}`), "", CodeTooLarge, "/messages/0/text"},
		{"text with NUL", msg(`{"type":"text","text":"hi\u0000"}`), "", CodeInvalid, "/messages/0/text"},
		{"image without url", msg(`{"type":"image","text":"caption"}`), "", CodeInvalid, "/messages/0/url"},
		{"file without url", msg(`{"type":"file","name":"a.pdf"}`), "", CodeInvalid, "/messages/0/url"},
		{"caption over MaxTextRunes", msg(`{"type":"image","url":"https://x.example/i.png","text":"` + runes(MaxTextRunes+1) + `"}`), "", CodeTooLarge, "/messages/0/text"},
		{"name over MaxTextRunes", msg(`{"type":"file","url":"https://x.example/f","name":"` + runes(MaxTextRunes+1) + `"}`), "", CodeTooLarge, "/messages/0/name"},
		{"card without title", msg(`{"type":"card","subtitle":"s"}`), "", CodeInvalid, "/messages/0/title"},
		{"card title over MaxTextRunes", msg(`{"type":"card","title":"` + runes(MaxTextRunes+1) + `"}`), "", CodeTooLarge, "/messages/0/title"},
		{"card subtitle over MaxTextRunes", msg(`{"type":"card","title":"t","subtitle":"` + runes(MaxTextRunes+1) + `"}`), "", CodeTooLarge, "/messages/0/subtitle"},
		{"card image_url http", msg(`{"type":"card","title":"t","image_url":"http://x.example/c.png"}`), "", CodeInvalid, "/messages/0/image_url"},
		{"carousel without cards", msg(`{"type":"carousel"}`), "", CodeInvalid, "/messages/0/cards"},
		{"carousel with no cards", msg(`{"type":"carousel","cards":[]}`), "", CodeInvalid, "/messages/0/cards"},
		{"carousel over MaxItems cards", msg(`{"type":"carousel","cards":` + cards(MaxItems+1) + `}`), "", CodeTooLarge, "/messages/0/cards"},
		{"carousel card not an object", msg(`{"type":"carousel","cards":[[]]}`), "", CodeInvalid, "/messages/0/cards/0"},
		{"carousel card without title", msg(`{"type":"carousel","cards":[{"title":"a"},{"subtitle":"b"}]}`), "", CodeInvalid, "/messages/0/cards/1/title"},
		{"carousel card unknown field", msg(`{"type":"carousel","cards":[{"title":"a","type":"card"}]}`), "", CodeInvalid, "/messages/0/cards/0/type"},
		{"carousel card image_url", msg(`{"type":"carousel","cards":[{"title":"a","image_url":"javascript:alert(1)"}]}`), "", CodeInvalid, "/messages/0/cards/0/image_url"},
		{"carousel card button", msg(`{"type":"carousel","cards":[{"title":"a","buttons":[{"label":"x"}]}]}`), "", CodeInvalid, "/messages/0/cards/0/buttons/0"},

		// Buttons.
		{"buttons not an array", msg(`{"type":"text","text":"t","buttons":"go"}`), "", CodeInvalid, "/messages/0/buttons"},
		{"over MaxItems buttons", msg(`{"type":"text","text":"t","buttons":` + buttons(MaxItems+1) + `}`), "", CodeTooLarge, "/messages/0/buttons"},
		{"button unknown field", msg(`{"type":"card","title":"t","buttons":[{"label":"a","value":"a"},{"label":"b","value":"b","foo":1}]}`), "", CodeInvalid, "/messages/0/buttons/1/foo"},
		{"button label missing", msg(`{"type":"text","text":"t","buttons":[{"value":"a"}]}`), "", CodeInvalid, "/messages/0/buttons/0/label"},
		{"button label blank", msg(`{"type":"text","text":"t","buttons":[{"label":"  ","value":"a"}]}`), "", CodeInvalid, "/messages/0/buttons/0/label"},
		{"button label multi-line", msg(`{"type":"text","text":"t","buttons":[{"label":"a\nb","value":"a"}]}`), "", CodeInvalid, "/messages/0/buttons/0/label"},
		{"button label not a string", msg(`{"type":"text","text":"t","buttons":[{"label":1,"value":"a"}]}`), "", CodeInvalid, "/messages/0/buttons/0/label"},
		{"button label over MaxLabelRunes", msg(`{"type":"text","text":"t","buttons":[{"label":"` + runes(MaxLabelRunes+1) + `","value":"a"}]}`), "", CodeTooLarge, "/messages/0/buttons/0/label"},
		{"button value over MaxValueRunes", msg(`{"type":"text","text":"t","buttons":[{"label":"a","value":"` + runes(MaxValueRunes+1) + `"}]}`), "", CodeTooLarge, "/messages/0/buttons/0/value"},
		{"button without value or url", msg(`{"type":"text","text":"t","buttons":[{"label":"a","value":""}]}`), "", CodeInvalid, "/messages/0/buttons/0"},
		{"button with value and url", msg(`{"type":"text","text":"t","buttons":[{"label":"a","value":"a","url":"https://x.example/"}]}`), "", CodeInvalid, "/messages/0/buttons/0"},
		{"button url http", msg(`{"type":"text","text":"t","buttons":[{"label":"a","url":"http://x.example/"}]}`), "", CodeInvalid, "/messages/0/buttons/0/url"},

		// Quick replies.
		{"quick replies not an array", `{"reply":"x","quick_replies":{}}`, "", CodeInvalid, "/quick_replies"},
		{"over MaxItems quick replies", `{"reply":"x","quick_replies":` + quickReplies(MaxItems+1) + `}`, "", CodeTooLarge, "/quick_replies"},
		{"quick reply label missing", `{"reply":"x","quick_replies":[{"label":"a"},{"value":"b"}]}`, "", CodeInvalid, "/quick_replies/1/label"},
		{"quick reply unknown field", `{"reply":"x","quick_replies":[{"label":"a","url":"https://x.example/"}]}`, "", CodeInvalid, "/quick_replies/0/url"},
		{"quick reply label over MaxLabelRunes", `{"reply":"x","quick_replies":[{"label":"` + runes(MaxLabelRunes+1) + `"}]}`, "", CodeTooLarge, "/quick_replies/0/label"},
		{"quick reply value over MaxValueRunes", `{"reply":"x","quick_replies":[{"label":"a","value":"` + runes(MaxValueRunes+1) + `"}]}`, "", CodeTooLarge, "/quick_replies/0/value"},
		{"quick reply value with NUL", `{"reply":"x","quick_replies":[{"label":"a","value":"\u0000"}]}`, "", CodeInvalid, "/quick_replies/0/value"},

		// URLs.
		{"url http", img("http://cdn.example.com/i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url javascript", img("javascript:alert(document.cookie)"), "", CodeInvalid, "/messages/0/url"},
		{"url data", img("data:image/png;base64,AAAA"), "", CodeInvalid, "/messages/0/url"},
		{"url userinfo", img("https://bank.example.com@evil.example/i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url user and password", img("https://u:p@cdn.example.com/i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url relative", img("/i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url protocol-relative", img("//cdn.example.com/i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url without host", img("https:///i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url opaque", img("https:cdn.example.com/i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url port only", img("https://:443/i.png"), "", CodeInvalid, "/messages/0/url"},
		{"url with space", img("https://cdn.example.com/a b.png"), "", CodeInvalid, "/messages/0/url"},
		{"url with backslash", img(`https://cdn.example.com\@evil.example/`), "", CodeInvalid, "/messages/0/url"},
		{"url with tab", img("https://cdn.exa\tmple.com/"), "", CodeInvalid, "/messages/0/url"},
		{"url unparsable", img("https://[::1/"), "", CodeInvalid, "/messages/0/url"},
		{"url not a string", msg(`{"type":"image","url":{"href":"https://x.example/"}}`), "", CodeInvalid, "/messages/0/url"},
		{"url over MaxURLBytes", img(urlOfLen(MaxURLBytes + 1)), "", CodeTooLarge, "/messages/0/url"},
		{"file url ftp", msg(`{"type":"file","url":"ftp://x.example/f"}`), "", CodeInvalid, "/messages/0/url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.body), tt.ct)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %+v, %v; want an *Error", r, err)
			}
			if e.Code != tt.code || e.Path != tt.path {
				t.Fatalf("Parse error %q at %q (%s); want %q at %q", e.Code, e.Path, e.Message, tt.code, tt.path)
			}
			if e.Message == "" || len(e.Message) > 200 {
				t.Fatalf("message %q", e.Message)
			}
			if r.Messages != nil {
				t.Fatalf("a refused reply came with messages: %+v", r)
			}
		})
	}
}

func TestErrorEchoesLittle(t *testing.T) {
	long := strings.Repeat("A", 5000)
	for _, body := range []string{
		`{"` + long + `":1}`,
		msg(`{"type":"` + long + `"}`),
		`{"reply":"x","action":"` + long + `"}`,
		msg(`{"type":"image","url":"` + long + `://x.example/"}`),
	} {
		_, err := Parse([]byte(body), "")
		if err == nil {
			t.Fatalf("accepted %.40s", body)
		}
		if n := strings.Count(err.Error(), "A"); n > 100 {
			t.Errorf("error echoes %d bytes of the body: %.200s", n, err)
		}
	}
}

func TestErrorString(t *testing.T) {
	for _, tt := range []struct {
		e    Error
		want string
	}{
		{Error{Code: CodeInvalid, Path: "/messages/2/buttons/0/url", Message: "url must use https"}, "chatreply: invalid_reply at /messages/2/buttons/0/url: url must use https"},
		{Error{Code: CodeNotJSON, Message: "body is empty"}, "chatreply: not_json: body is empty"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
