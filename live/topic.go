// Package live carries "something changed" notifications from the code that
// changes state to the streams that show it (Server-Sent Events today): a
// conversation's customer profile now, chat replies and delivery status
// next. It is a leaf package so that service, app, api and store can all
// use it without reaching into one another.
//
// A notification names a Topic and carries no data: a subscriber re-reads
// what it shows from the store, so a missed, repeated or merged
// notification loses nothing.
package live

import (
	"errors"
	"strings"
)

// Kind is what a topic is about.
type Kind string

// The topic kinds. A new kind is added here so that ParseTopic accepts it
// from other processes.
const (
	// KindProfile: a conversation's customer profile (Backend Connect).
	KindProfile Kind = "profile"
	// KindChat: a conversation's chat messages (the chat relay).
	KindChat Kind = "chat"
	// KindDelivery: an event delivery's status and attempts.
	KindDelivery Kind = "delivery"
)

var kinds = map[Kind]bool{KindProfile: true, KindChat: true, KindDelivery: true}

// Topic is one thing that can change: a kind and the ID of the object. Topics
// are comparable, so they key maps directly.
type Topic struct {
	Kind Kind
	ID   string
}

// Profile is the topic of a conversation's customer profile.
func Profile(conversationID string) Topic { return Topic{KindProfile, conversationID} }

// Chat is the topic of a conversation's chat messages.
func Chat(conversationID string) Topic { return Topic{KindChat, conversationID} }

// Delivery is the topic of an event delivery's status.
func Delivery(deliveryID string) Topic { return Topic{KindDelivery, deliveryID} }

// String is the topic's wire form, "<kind>:<id>" (e.g.
// "profile:conv_123"), used as the PostgreSQL notification payload.
func (t Topic) String() string { return string(t.Kind) + ":" + t.ID }

// ErrBadTopic is returned by ParseTopic for a payload that is not a topic.
var ErrBadTopic = errors.New("live: not a topic")

// maxIDLen bounds an ID so that a topic always fits in a PostgreSQL
// notification payload (8000 bytes); Switchboard's IDs are far shorter.
const maxIDLen = 200

// ParseTopic reads a topic's wire form. Unknown kinds, empty or oversized
// IDs are refused, so a stray notification from something else on the
// database cannot wake anybody.
func ParseTopic(s string) (Topic, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || !kinds[Kind(kind)] || id == "" || len(id) > maxIDLen {
		return Topic{}, ErrBadTopic
	}
	return Topic{Kind(kind), id}, nil
}
