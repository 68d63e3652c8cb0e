package service

import "github.com/switchboardhq/switchboard/live"

// profileChanged announces that a conversation's customer profile changed:
// to this process's streams at once and, through the hub's relay, to the
// other processes on the same PostgreSQL database. Call it after the change
// is committed. Conversation IDs are globally unique, so the org is not
// part of the topic.
func profileChanged(hub *live.Hub, conversationID string) {
	hub.Publish(live.Profile(conversationID))
}
