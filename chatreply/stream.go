package chatreply

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Stream parses a streamed reply: a text/event-stream body (WHATWG HTML,
// "Server-sent events") whose events carry text deltas and, optionally, a
// final reply.
//
// Framing follows the spec: one leading BOM is dropped; lines end in CRLF,
// LF or CR; "data" lines of one event are joined with "\n"; lines starting
// with ':' are comments; "id", "retry" and unknown fields are ignored; a
// blank line dispatches the event; an event without data lines is not
// dispatched; and an event still unterminated at the end of the body is
// discarded, since it may have been cut off. Invalid UTF-8 is replaced with
// U+FFFD, as a browser's EventSource would.
//
// Events named "message" (the default), "delta", "text" and
// "content_block_delta" carry data; "reply" carries a final reply; "error"
// an error; "message_stop" ends the stream. Events with any other name are
// control events of some protocol (Anthropic's ping or message_start, say)
// and are skipped. Data is read as:
//
//   - "[DONE]": the end of the stream (OpenAI);
//   - a JSON object with "final": a final reply, ending the stream;
//   - a JSON object with a non-null "error", or "type":"error": an error;
//   - {"type":"content_block_delta","delta":{"type":"text_delta","text":…}}
//     (Anthropic; other delta types are skipped) and {"type":"message_stop"};
//   - {"choices":[{"delta":{"content":…}}]} (OpenAI chat completions; only
//     choice 0 counts, and role-only or empty deltas are skipped);
//   - {"delta":"…"} or {"text":"…"};
//   - any other JSON object with a string "type": skipped, as a control event;
//   - any other JSON object: an error, since silently dropping it would make
//     a misconfigured backend look like one with nothing to say;
//   - anything that is not a JSON object: the text itself.
//
// A final reply has the schema Parse accepts, except that it may lack
// messages and action: it then only adds quick replies, context or an action
// to the streamed text.
//
// Next delivers each delta as soon as the blank line ending its event has
// been read; it never reads ahead. A Stream is not safe for concurrent use.
type Stream struct {
	r       *bufio.Reader
	read    int    // bytes read, for MaxStreamBytes
	line    []byte // the line being read
	started bool   // whether the first line (which may start with a BOM) was seen
	skipLF  bool   // the last line ended in CR, so an LF right after it is part of a CRLF
	event   string // the event type buffer
	data    []byte // the data buffer
	text    strings.Builder
	runes   int // runes in text
	final   *Reply
	done    bool  // the stream ended normally
	err     error // the error that ended the stream, returned again by every call
}

// NewStream returns a Stream reading r.
func NewStream(r io.Reader) *Stream {
	return &Stream{r: bufio.NewReaderSize(r, 4096)}
}

// Next returns the next non-empty text delta. It returns io.EOF once the
// stream has ended: at the end of the body, on "[DONE]", on Anthropic's
// message_stop and after a final reply. Refused content yields an *Error
// (CodeStream for an error the stream reported, CodeTooLarge for exceeding
// MaxStreamBytes, MaxStreamLineBytes or MaxStreamTextRunes, the codes of
// Parse for a bad final reply, CodeInvalid for text with a control character
// Parse would refuse), and a failing reader a wrapped read error.
// After io.EOF or an error, Next returns the same again.
func (s *Stream) Next() (string, error) {
	for {
		if s.err != nil {
			return "", s.err
		}
		if s.done {
			return "", io.EOF
		}
		line, err := s.readLine()
		if err == io.EOF {
			s.done = true // a pending, unterminated event is discarded
			continue
		}
		if err != nil {
			s.err = err
			continue
		}
		delta, e := s.processLine(line)
		if e != nil {
			s.err = e
			continue
		}
		if delta != "" {
			return delta, nil
		}
	}
}

// Text returns all text deltas returned so far, concatenated.
func (s *Stream) Text() string { return s.text.String() }

// Final returns the reply once Next has returned io.EOF. With a final reply
// that has messages, that reply is used as is: its messages supersede the
// streamed text, which was only a preview. Otherwise the streamed text
// becomes the messages, split as TextReply splits it (the stream text limit
// keeps it within MaxMessages), alongside the final reply's quick replies,
// context and action if there was one. A stream without text, messages or
// action is refused with CodeInvalid. If Next failed, Final returns its error.
func (s *Stream) Final() (Reply, error) {
	if s.err != nil {
		return Reply{}, s.err
	}
	if !s.done {
		return Reply{}, errors.New("chatreply: Final called before Next returned io.EOF")
	}
	var r Reply
	if s.final != nil {
		r = *s.final
	}
	if len(r.Messages) == 0 {
		r.Messages = TextReply(s.text.String()).Messages
	}
	if len(r.Messages) == 0 && r.Action == "" {
		return Reply{}, invalid("", "the stream ended without any reply text")
	}
	return r, nil
}

// readLine reads one line without its terminator. The returned slice is
// only valid until the next call. On a CR it returns at once instead of
// peeking for an LF, which could block until the backend sends more.
func (s *Stream) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		b, err := s.r.ReadByte()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("chatreply: reading stream: %w", err)
		}
		s.read++
		if s.read > MaxStreamBytes {
			return nil, tooLarge("", "stream is over %d bytes", MaxStreamBytes)
		}
		if s.skipLF {
			s.skipLF = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\n':
			return s.line, nil
		case '\r':
			s.skipLF = true
			return s.line, nil
		}
		if len(s.line) >= MaxStreamLineBytes {
			return nil, tooLarge("", "a stream line is over %d bytes", MaxStreamLineBytes)
		}
		s.line = append(s.line, b)
	}
}

func (s *Stream) processLine(line []byte) (string, *Error) {
	if !s.started {
		s.started = true
		line = bytes.TrimPrefix(line, utf8BOM)
	}
	if len(line) == 0 {
		return s.dispatch()
	}
	if line[0] == ':' {
		return "", nil
	}
	field, value, _ := bytes.Cut(line, []byte{':'})
	value = bytes.TrimPrefix(value, []byte{' '})
	switch string(field) {
	case "event":
		s.event = validUTF8(value)
	case "data":
		s.data = append(append(s.data, value...), '\n')
	}
	return "", nil
}

func (s *Stream) dispatch() (string, *Error) {
	data, event := s.data, s.event
	s.data, s.event = s.data[:0], ""
	if len(data) == 0 {
		return "", nil
	}
	d := validUTF8(data[:len(data)-1])
	if strings.TrimSpace(d) == "[DONE]" {
		s.done = true
		return "", nil
	}
	switch event {
	case "", "message", "delta", "text", "content_block_delta":
	case "error":
		if m := jsonObject(d); m != nil {
			return "", streamError(errorMessage(m))
		}
		return "", streamError(d)
	case "reply":
		return "", s.setFinal(d)
	case "message_stop":
		s.done = true
		return "", nil
	default:
		return "", nil
	}
	if m := jsonObject(d); m != nil {
		return s.handleJSON(m)
	}
	return s.addText(d)
}

func (s *Stream) handleJSON(m map[string]json.RawMessage) (string, *Error) {
	if f, ok := m["final"]; ok && !isNull(f) {
		return "", s.setFinal(string(f))
	}
	if e, ok := m["error"]; ok && !isNull(e) && string(e) != "false" && string(e) != `""` {
		return "", streamError(errorMessage(m))
	}
	typ := jsonString(m["type"])
	switch typ {
	case "error":
		return "", streamError(errorMessage(m))
	case "message_stop":
		s.done = true
		return "", nil
	case "content_block_delta":
		if d := jsonObject(string(m["delta"])); d != nil && jsonString(d["type"]) == "text_delta" {
			return s.addText(jsonString(d["text"]))
		}
		return "", nil // input_json_delta, thinking_delta and the like are not reply text
	}
	if c, ok := m["choices"]; ok {
		var choices []struct {
			Index *int `json:"index"`
			Delta struct {
				Content *string `json:"content"`
			} `json:"delta"`
			Text *string `json:"text"` // legacy completions
		}
		if json.Unmarshal(c, &choices) != nil {
			return "", &Error{Code: CodeStream, Message: `event data has "choices" but is not an OpenAI chat completion chunk`}
		}
		var b strings.Builder
		for _, ch := range choices {
			if ch.Index != nil && *ch.Index != 0 {
				continue
			}
			if ch.Delta.Content != nil {
				b.WriteString(*ch.Delta.Content)
			} else if ch.Text != nil {
				b.WriteString(*ch.Text)
			}
		}
		return s.addText(b.String())
	}
	if d, ok := m["delta"]; ok && kind(d) == "a string" {
		return s.addText(jsonString(d))
	}
	if t, ok := m["text"]; ok && kind(t) == "a string" {
		return s.addText(jsonString(t))
	}
	if typ != "" {
		return "", nil
	}
	return "", &Error{Code: CodeStream, Message: "event data is a JSON object without delta, text, choices, final or error"}
}

func (s *Stream) addText(t string) (string, *Error) {
	if t == "" {
		return "", nil
	}
	if r, bad := controlChar(t); bad {
		return "", invalid("", fmt.Sprintf("stream text contains the control character U+%04X", r))
	}
	n := utf8.RuneCountInString(t)
	if s.runes+n > MaxStreamTextRunes {
		return "", tooLarge("", "stream text is over %d characters", MaxStreamTextRunes)
	}
	s.runes += n
	s.text.WriteString(t)
	return t, nil
}

func (s *Stream) setFinal(data string) *Error {
	r, e := parse([]byte(data), "", true)
	if e != nil {
		e.Message = "final reply: " + e.Message
		return e
	}
	s.final = &r
	s.done = true
	return nil
}

// errorMessage finds the human-readable part of an error object: OpenAI and
// Anthropic both send {"error":{"message":…}}, others {"error":"…"} or
// {"message":…}.
func errorMessage(m map[string]json.RawMessage) string {
	if msg := jsonString(m["error"]); msg != "" {
		return msg
	}
	if e := jsonObject(string(m["error"])); e != nil {
		if msg := jsonString(e["message"]); msg != "" {
			return msg
		}
		if msg := jsonString(e["type"]); msg != "" {
			return msg
		}
	}
	return jsonString(m["message"])
}

func streamError(msg string) *Error {
	if msg = strings.TrimSpace(msg); msg == "" {
		return &Error{Code: CodeStream, Message: "the stream reported an error"}
	}
	return &Error{Code: CodeStream, Message: "the stream reported an error: " + quote(msg, 100)}
}

// jsonObject decodes s if it is a JSON object, else returns nil.
func jsonObject(s string) map[string]json.RawMessage {
	if kind(json.RawMessage(s)) != "an object" {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

// jsonString decodes raw if it is a JSON string, else returns "".
func jsonString(raw json.RawMessage) string {
	var s string
	if kind(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// splitText cuts text into at most maxParts non-blank pieces of at most
// maxRunes runes, preferring to cut after a line break, else after a space,
// in the second half of a piece. Text after maxParts pieces is dropped.
func splitText(text string, maxRunes, maxParts int) []string {
	var parts []string
	for text != "" && len(parts) < maxParts {
		cut := len(text)
		if utf8.RuneCountInString(text) > maxRunes {
			// half is measured in runes so that every piece but the last
			// has at least maxRunes/2 runes, which bounds the piece count.
			half := 0
			cut = 0
			for i := range maxRunes {
				if i == maxRunes/2 {
					half = cut
				}
				_, n := utf8.DecodeRuneInString(text[cut:])
				cut += n
			}
			window := text[:cut]
			if i := strings.LastIndexByte(window, '\n'); i >= half {
				cut = i + 1
			} else if i := strings.LastIndexFunc(window, unicode.IsSpace); i >= half {
				_, n := utf8.DecodeRuneInString(window[i:])
				cut = i + n
			}
		}
		if part := text[:cut]; strings.TrimSpace(part) != "" {
			parts = append(parts, part)
		}
		text = text[cut:]
	}
	return parts
}
