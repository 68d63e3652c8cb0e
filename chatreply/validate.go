package chatreply

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// The body is walked as raw JSON rather than decoded into the typed structs
// because encoding/json neither reports where an unknown field or a wrong
// type sits in nested arrays nor refuses fields that exist on Message but do
// not belong to the message's type.

// member is one key/value pair of a JSON object, in document order so that
// the first problem reported is the first one in the body.
type member struct {
	key string
	raw json.RawMessage
}

// messageFields lists the fields each message type may carry.
var messageFields = map[string]map[string]bool{
	TypeText:     {"type": true, "text": true, "buttons": true},
	TypeImage:    {"type": true, "url": true, "text": true, "name": true},
	TypeFile:     {"type": true, "url": true, "text": true, "name": true},
	TypeCard:     {"type": true, "title": true, "subtitle": true, "image_url": true, "buttons": true},
	TypeCarousel: {"type": true, "cards": true},
}

func parseReply(body []byte, partial bool) (Reply, *Error) {
	ms, e := objectMembers(body, "", "a reply")
	if e != nil {
		return Reply{}, e
	}
	// The conflict is checked up front so that it is reported even when one
	// of the two fields is also malformed.
	var hasReply, hasMessages bool
	for _, m := range ms {
		hasReply = hasReply || (m.key == "reply" && !isNull(m.raw))
		hasMessages = hasMessages || (m.key == "messages" && !isNull(m.raw))
	}
	if hasReply && hasMessages {
		return Reply{}, invalid("/reply", `use either "reply" or "messages", not both`)
	}
	var r Reply
	for _, m := range ms {
		p := "/" + escapeKey(m.key)
		switch m.key {
		case "reply":
			s, e := textValue(m.raw, p, MaxTextRunes)
			if e != nil {
				return Reply{}, e
			}
			if isNull(m.raw) {
				continue
			}
			if strings.TrimSpace(s) == "" {
				return Reply{}, invalid(p, "reply text must not be blank")
			}
			r.Messages = []Message{{Type: TypeText, Text: s}}
		case "messages":
			if !isNull(m.raw) { // null must not undo "reply"
				r.Messages, e = parseMessages(m.raw, p)
			}
		case "quick_replies":
			r.QuickReplies, e = parseQuickReplies(m.raw, p)
		case "context":
			r.Context, e = parseContext(m.raw, p)
		case "action":
			r.Action, e = stringValue(m.raw, p)
			if e == nil && r.Action != "" && r.Action != ActionHandoff && r.Action != ActionEnd {
				e = invalid(p, `action must be "handoff" or "end", got `+quote(r.Action, 40))
			}
		default:
			e = unknownField(p, m.key)
		}
		if e != nil {
			return Reply{}, e
		}
	}
	if len(r.Messages) == 0 && r.Action == "" && !partial {
		if hasMessages {
			return Reply{}, invalid("/messages", "at least one message is required unless action is set")
		}
		return Reply{}, invalid("", `reply has neither "reply" nor "messages"`)
	}
	if r.Messages == nil {
		r.Messages = []Message{}
	}
	return r, nil
}

func parseMessages(raw json.RawMessage, path string) ([]Message, *Error) {
	elems, e := arrayElems(raw, path, MaxMessages, "messages")
	if e != nil {
		return nil, e
	}
	var msgs []Message
	for i, el := range elems {
		m, e := parseMessage(el, path+"/"+strconv.Itoa(i))
		if e != nil {
			return nil, e
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func parseMessage(raw json.RawMessage, path string) (Message, *Error) {
	ms, e := objectMembers(raw, path, "a message")
	if e != nil {
		return Message{}, e
	}
	var m Message
	for _, mem := range ms {
		if mem.key == "type" {
			if m.Type, e = stringValue(mem.raw, path+"/type"); e != nil {
				return Message{}, e
			}
		}
	}
	allowed, ok := messageFields[m.Type]
	if !ok {
		if m.Type == "" {
			return Message{}, invalid(path+"/type", "message type is required: text, image, file, card or carousel")
		}
		return Message{}, invalid(path+"/type", "unknown message type "+quote(m.Type, 40)+"; expected text, image, file, card or carousel")
	}
	var card Card
	for _, mem := range ms {
		p := path + "/" + escapeKey(mem.key)
		if !allowed[mem.key] {
			if isMessageField(mem.key) {
				return Message{}, invalid(p, "field "+quote(mem.key, 40)+" is not allowed in a "+m.Type+" message")
			}
			return Message{}, unknownField(p, mem.key)
		}
		switch mem.key {
		case "text":
			m.Text, e = textValue(mem.raw, p, MaxTextRunes)
		case "url":
			m.URL, e = urlValue(mem.raw, p)
		case "name":
			m.Name, e = textValue(mem.raw, p, MaxTextRunes)
		case "title", "subtitle", "image_url", "buttons":
			e = cardField(&card, mem, p)
		case "cards":
			m.Cards, e = parseCards(mem.raw, p)
		}
		if e != nil {
			return Message{}, e
		}
	}
	m.Title, m.Subtitle, m.ImageURL, m.Buttons = card.Title, card.Subtitle, card.ImageURL, card.Buttons
	switch {
	case m.Type == TypeText && strings.TrimSpace(m.Text) == "":
		return Message{}, invalid(path+"/text", "a text message needs non-blank text")
	case m.Type == TypeImage && m.URL == "":
		return Message{}, invalid(path+"/url", "an image message needs a url")
	case m.Type == TypeFile && m.URL == "":
		return Message{}, invalid(path+"/url", "a file message needs a url")
	case m.Type == TypeCard && strings.TrimSpace(m.Title) == "":
		return Message{}, invalid(path+"/title", "a card needs a non-blank title")
	case m.Type == TypeCarousel && len(m.Cards) == 0:
		return Message{}, invalid(path+"/cards", "a carousel needs at least one card")
	}
	return m, nil
}

func isMessageField(key string) bool {
	for _, fields := range messageFields {
		if fields[key] {
			return true
		}
	}
	return false
}

// cardField decodes a field shared by card messages and carousel cards.
func cardField(c *Card, mem member, p string) *Error {
	var e *Error
	switch mem.key {
	case "title":
		c.Title, e = textValue(mem.raw, p, MaxTextRunes)
	case "subtitle":
		c.Subtitle, e = textValue(mem.raw, p, MaxTextRunes)
	case "image_url":
		c.ImageURL, e = urlValue(mem.raw, p)
	case "buttons":
		c.Buttons, e = parseButtons(mem.raw, p)
	default:
		e = unknownField(p, mem.key)
	}
	return e
}

func parseCards(raw json.RawMessage, path string) ([]Card, *Error) {
	return parseList(raw, path, MaxItems, "cards", "a card", func(p string, ms []member) (Card, *Error) {
		var c Card
		for _, mem := range ms {
			if e := cardField(&c, mem, p+"/"+escapeKey(mem.key)); e != nil {
				return c, e
			}
		}
		if strings.TrimSpace(c.Title) == "" {
			return c, invalid(p+"/title", "a card needs a non-blank title")
		}
		return c, nil
	})
}

func parseButtons(raw json.RawMessage, path string) ([]Button, *Error) {
	return parseList(raw, path, MaxItems, "buttons", "a button", func(p string, ms []member) (Button, *Error) {
		var b Button
		for _, mem := range ms {
			fp := p + "/" + escapeKey(mem.key)
			var e *Error
			switch mem.key {
			case "label":
				b.Label, e = labelValue(mem.raw, fp)
			case "value":
				b.Value, e = textValue(mem.raw, fp, MaxValueRunes)
			case "url":
				b.URL, e = urlValue(mem.raw, fp)
			default:
				e = unknownField(fp, mem.key)
			}
			if e != nil {
				return b, e
			}
		}
		switch {
		case b.Label == "":
			return b, invalid(p+"/label", "a button needs a non-blank label")
		case b.Value == "" && b.URL == "":
			return b, invalid(p, `a button needs either "value" or "url"`)
		case b.Value != "" && b.URL != "":
			return b, invalid(p, `a button has either "value" or "url", not both`)
		}
		return b, nil
	})
}

func parseQuickReplies(raw json.RawMessage, path string) ([]QuickReply, *Error) {
	return parseList(raw, path, MaxItems, "quick replies", "a quick reply", func(p string, ms []member) (QuickReply, *Error) {
		var q QuickReply
		for _, mem := range ms {
			fp := p + "/" + escapeKey(mem.key)
			var e *Error
			switch mem.key {
			case "label":
				q.Label, e = labelValue(mem.raw, fp)
			case "value":
				q.Value, e = textValue(mem.raw, fp, MaxValueRunes)
			default:
				e = unknownField(fp, mem.key)
			}
			if e != nil {
				return q, e
			}
		}
		if q.Label == "" {
			return q, invalid(p+"/label", "a quick reply needs a non-blank label")
		}
		if q.Value == "" {
			q.Value = q.Label
		}
		return q, nil
	})
}

// parseList parses a JSON array of at most max objects (null: none), one
// object at a time: each gets its path and its members, in order.
func parseList[T any](raw json.RawMessage, path string, max int, plural, singular string, one func(p string, ms []member) (T, *Error)) ([]T, *Error) {
	elems, e := arrayElems(raw, path, max, plural)
	if e != nil {
		return nil, e
	}
	var out []T
	for i, el := range elems {
		p := path + "/" + strconv.Itoa(i)
		ms, e := objectMembers(el, p, singular)
		if e != nil {
			return nil, e
		}
		v, e := one(p, ms)
		if e != nil {
			return nil, e
		}
		out = append(out, v)
	}
	return out, nil
}

// parseContext keeps the context compacted, both to measure it fairly and
// because it is stored and sent back to the backend with the next message.
func parseContext(raw json.RawMessage, path string) (json.RawMessage, *Error) {
	if isNull(raw) {
		return nil, nil
	}
	if k := kind(raw); k != "an object" {
		return nil, invalid(path, "context must be a JSON object, got "+k)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, invalid(path, "context is not valid JSON")
	}
	if buf.Len() > MaxContextBytes {
		return nil, tooLarge(path, "context is %d bytes compacted; the limit is %d", buf.Len(), MaxContextBytes)
	}
	return json.RawMessage(buf.Bytes()), nil
}
