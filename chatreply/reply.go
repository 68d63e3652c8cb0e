// Package chatreply turns a customer backend's HTTP answer into a bot reply
// for the chat widget.
//
// The platform relays a visitor's message to the customer's backend; the
// backend's response body is the bot's reply. That body is untrusted input
// that ends up rendered in a visitor's browser, so this package parses it
// strictly, refuses anything it does not understand (with a JSON-pointer path
// the customer can act on) and normalises what it accepts into one shape.
// It also parses streamed (text/event-stream) replies, see Stream.
//
// The package is pure: no I/O besides reading the io.Reader handed to
// NewStream, and no mutable package state.
package chatreply

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Limits. Every violation of one of them is reported with CodeTooLarge and
// the path of the offending value, so "too_large" always means "make it
// smaller" and "invalid_reply" always means "fix the shape or content".
const (
	MaxBodyBytes    = 64 << 10 // a whole JSON reply body
	MaxTextRunes    = 4096     // any text field: reply, message text, caption, name, card title/subtitle
	MaxMessages     = 10       // messages in one reply
	MaxItems        = 10       // buttons per message or card, cards per carousel, quick replies
	MaxContextBytes = 16 << 10 // the context object after compaction
	MaxLabelRunes   = 80       // a button or quick-reply label
	MaxValueRunes   = 1024     // a button or quick-reply value
	MaxURLBytes     = 2048     // any URL

	// Stream limits. Streamed text may be longer than one message because
	// Final splits it into several text messages.
	MaxStreamBytes     = 1 << 20          // everything read from a stream
	MaxStreamLineBytes = 64 << 10         // one line of a stream, without its terminator
	MaxStreamTextRunes = 4 * MaxTextRunes // all text deltas of a stream together
)

// Message types.
const (
	TypeText     = "text"
	TypeImage    = "image"
	TypeFile     = "file"
	TypeCard     = "card"
	TypeCarousel = "carousel"
)

// Actions a reply may ask for besides its messages.
const (
	ActionHandoff = "handoff" // hand the conversation to a human operator
	ActionEnd     = "end"     // end the conversation
)

// Error codes.
const (
	CodeNotJSON  = "not_json"      // empty body, invalid UTF-8 or a JSON syntax error
	CodeTooLarge = "too_large"     // a Max* limit was exceeded
	CodeInvalid  = "invalid_reply" // valid JSON, but not a valid reply
	CodeHTML     = "html_body"     // an HTML page (typically an error page or a login wall)
	CodeStream   = "stream_error"  // the stream itself reported an error
)

// Reply is a validated, normalised bot reply. Messages is never nil, so it
// encodes as [] for an action-only reply.
type Reply struct {
	Messages     []Message       `json:"messages"`
	QuickReplies []QuickReply    `json:"quick_replies,omitempty"`
	Context      json.RawMessage `json:"context,omitempty"` // a compacted JSON object, or nil
	Action       string          `json:"action,omitempty"`  // "", ActionHandoff or ActionEnd
}

// Message is one chat bubble. Which fields a message may carry depends on its
// type; Parse refuses fields that do not belong to the type.
//
//	text:     text (required, non-blank), buttons
//	image:    url (required), text (caption), name (alt text)
//	file:     url (required), text (caption), name (display name)
//	card:     title (required, non-blank), subtitle, image_url, buttons
//	carousel: cards (required, 1..MaxItems)
type Message struct {
	Type     string   `json:"type"`
	Text     string   `json:"text,omitempty"`
	URL      string   `json:"url,omitempty"`
	Name     string   `json:"name,omitempty"`
	Title    string   `json:"title,omitempty"`
	Subtitle string   `json:"subtitle,omitempty"`
	ImageURL string   `json:"image_url,omitempty"`
	Buttons  []Button `json:"buttons,omitempty"`
	Cards    []Card   `json:"cards,omitempty"`
}

// Card is one card of a carousel; it follows the rules of a card message.
type Card struct {
	Title    string   `json:"title"`
	Subtitle string   `json:"subtitle,omitempty"`
	ImageURL string   `json:"image_url,omitempty"`
	Buttons  []Button `json:"buttons,omitempty"`
}

// Button either posts Value back as the visitor's message or opens URL;
// exactly one of them is set.
type Button struct {
	Label string `json:"label"`
	Value string `json:"value,omitempty"`
	URL   string `json:"url,omitempty"`
}

// QuickReply is a suggestion chip. Parse fills an absent Value with Label,
// since sending the label back is what backends almost always mean.
type QuickReply struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Error describes why a reply was refused. Path is a JSON pointer (RFC 6901)
// to the offending value, "" for the body as a whole. Message is meant for
// the customer and quotes at most a short, escaped excerpt of the body.
type Error struct {
	Code    string
	Path    string
	Message string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "chatreply: " + e.Code + ": " + e.Message
	}
	return "chatreply: " + e.Code + " at " + e.Path + ": " + e.Message
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// Parse validates one complete JSON reply body. contentType is the
// response's Content-Type header and may be empty; it only matters for
// recognising HTML, since backends often mislabel JSON as text/plain.
//
// Two forms are accepted. The simple form {"reply":"text"} (optionally with
// quick_replies, context and action) becomes one text message. The rich form
// is {"messages":[...], "quick_replies":[...], "context":{...},
// "action":"handoff"|"end"}. A reply needs at least one message unless it
// has an action. JSON null counts as an absent field, because many JSON
// serialisers emit null for unset optional fields.
//
// HTML is checked before size so that a large error page is reported as
// what it is.
func Parse(body []byte, contentType string) (Reply, error) {
	r, err := parse(body, contentType, false)
	if err != nil {
		return Reply{}, err
	}
	return r, nil
}

// parse is Parse returning a concrete *Error; partial also accepts a reply
// without messages or action, for the final event of a stream that only
// adds quick replies, context or an action to streamed text.
func parse(body []byte, contentType string, partial bool) (Reply, *Error) {
	if isHTMLType(contentType) {
		return Reply{}, &Error{Code: CodeHTML, Message: "Content-Type is " + quote(mediaType(contentType), 40) + "; a reply must be JSON"}
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(body, utf8BOM), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return Reply{}, &Error{Code: CodeHTML, Message: "body starts with '<' and looks like HTML or XML; a reply must be JSON"}
	}
	if len(body) > MaxBodyBytes {
		return Reply{}, tooLarge("", "body is %d bytes; the limit is %d", len(body), MaxBodyBytes)
	}
	if len(trimmed) == 0 {
		return Reply{}, &Error{Code: CodeNotJSON, Message: "body is empty"}
	}
	if e := checkJSON(trimmed, len(body)-len(trimmed)); e != nil {
		return Reply{}, e
	}
	return parseReply(trimmed, partial)
}

// TextReply builds a reply of text messages from text, for fallback replies
// and for streamed text. Text longer than MaxTextRunes is split into several
// messages, preferably at a line break or space; blank pieces are dropped
// and text beyond MaxMessages messages is cut off. Blank text yields a reply
// without messages. The text is not validated: it is the platform's own.
func TextReply(text string) Reply {
	msgs := []Message{}
	for _, part := range splitText(text, MaxTextRunes, MaxMessages) {
		msgs = append(msgs, Message{Type: TypeText, Text: part})
	}
	return Reply{Messages: msgs}
}

// IsEventStream reports whether contentType is text/event-stream, ignoring
// case and parameters.
func IsEventStream(contentType string) bool {
	return mediaType(contentType) == "text/event-stream"
}

func isHTMLType(contentType string) bool {
	mt := mediaType(contentType)
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// mediaType is the lower-cased type/subtype of a Content-Type value. It does
// not use mime.ParseMediaType because that fails on malformed parameters,
// which must not change whether a body counts as HTML or a stream.
func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
