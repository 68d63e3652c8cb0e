// Package appactions is the catalog of Custom App actions (the 13 actions of
// the Custom App product doc): for each, an identifier, a description, the
// default payload as a template over the action's variables, and the
// variables it offers with a sample value ("Show available variables").
// Rendering the default payload on the sample variables gives the doc's
// example payload, which is what "Send sample payload" sends. Custom
// attributes and trigger criteria are rendered by render.go with the
// liquidsandbox package.
//
// Render only in activities (or API handlers), never in workflow code:
// rendering reads the clock for its deadline, and the date filter accepts
// "now".
package appactions

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Variable is one interpolation variable of an action. Name is a Liquid path
// ("referral.status" is the status key of the referral object).
type Variable struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Sample      any    `json:"sample"`
}

// Field is one field of a default payload: its JSON name and the Liquid
// template of its value. Every value in the doc's payloads is a string, so
// every field renders to a string.
type Field struct {
	Name     string
	Template string
}

// Action is one catalog entry.
type Action struct {
	ID          string
	Name        string
	Description string
	Payload     []Field // in the doc's order
	Variables   []Variable
}

// Sample values shared by several actions, copied from the doc's examples.
const (
	sampleSite      = "1"
	sampleAdvocate  = "advocate@example.com"
	sampleFriend    = "friend@example.com"
	sampleLoyalty   = "loyalty@talkable.com"
	samplePerson591 = "person-591542c54ff21a49@talkable-sample.com"
	samplePhone     = "+12025551111"
	sampleCreatedAt = "2024-11-25 00:00:00 -0800"
)

var siteVar = Variable{"site_id", "Site identifier", sampleSite}

func emailVar(sample string) Variable {
	return Variable{"email", "Email address of the person", sample}
}

// referralVars are shared by referral_create and referral_status_change.
var referralVars = []Variable{
	siteVar,
	{"campaign_id", "Campaign identifier", "142"},
	{"referral_status", "Status of the referral", "in_progress"},
	{"advocate_email", "Email of the advocate (the referrer)", sampleAdvocate},
	{"friend_email", "Email of the friend (the referred person)", sampleFriend},
	{"referral.status", "Status of the referral (object form)", "in_progress"},
	{"referral.created_at", "When the referral was created", sampleCreatedAt},
}

var actions = []*Action{
	{
		ID: "referral_create", Name: "Referral Create",
		Description: "Triggers when a new referral is created, sending detailed information about the referral.",
		Payload:     fields("site_id", "campaign_id", "referral_status", "advocate_email", "friend_email"),
		Variables:   referralVars,
	},
	{
		ID: "sync_signups", Name: "Sync signups",
		Description: "Synchronizes all people whenever they sign up, whether they opted in by email or by phone number.",
		Payload:     fields("email", "email_optin", "phone_number", "phone_optin"),
		Variables: []Variable{siteVar, emailVar("person-9eb230f8d189fca9@talkable-sample.com"),
			{"email_optin", "Whether the person opted in to email", "true"},
			{"phone_number", "Phone number of the person", samplePhone},
			{"phone_optin", "Whether the person opted in to text messages", "true"}},
	},
	{
		ID: "sync_email_optins", Name: "Sync email opt-ins",
		Description: "Synchronizes people whenever they sign up and opt in to email. Signups without opt-in do not trigger it.",
		Payload:     fields("site_id", "email", "email_optin"),
		Variables: []Variable{siteVar, emailVar("person-40728a5b940e3247@talkable-sample.com"),
			{"email_optin", "Whether the person opted in to email", "true"}},
	},
	{
		ID: "sync_phone_optins", Name: "Sync phone opt-ins",
		Description: "Synchronizes people whenever they sign up and opt in to text messages. Signups without phone opt-in do not trigger it.",
		Payload:     fields("site_id", "email", "phone_number"),
		Variables: []Variable{siteVar, emailVar("person-fa8e880e25bd47b3@talkable-sample.com"),
			{"phone_number", "Phone number of the person", samplePhone}},
	},
	{
		ID: "sync_loyalty_actions", Name: "Sync loyalty actions",
		Description: "Synchronizes loyalty members whenever they make a loyalty action.",
		Payload:     fields("site_id", "email"),
		Variables:   []Variable{siteVar, emailVar(sampleLoyalty)},
	},
	{
		ID: "sync_loyalty_tier_transitions", Name: "Sync loyalty tier transitions",
		Description: "Synchronizes loyalty members whenever their tier changes.",
		Payload:     fields("site_id", "email"),
		Variables:   []Variable{siteVar, emailVar(sampleLoyalty)},
	},
	{
		ID: "unsubscribe", Name: "Unsubscribe",
		Description: "Whenever customers unsubscribe from emails they also become unsubscribed in your ESP.",
		Payload:     fields("site_id", "email"),
		Variables:   []Variable{siteVar, emailVar(samplePerson591)},
	},
	{
		ID: "offer_share", Name: "Offer share",
		Description: "Whenever a person shares the offer, the share information is sent to your ESP.",
		Payload:     fields("site_id", "email"),
		Variables:   []Variable{siteVar, emailVar(samplePerson591)},
	},
	{
		ID: "send_reward", Name: "Send reward",
		Description: "Sends the reward information to your ESP.",
		Payload:     fields("description", "amount", "coupon_code", "reason", "site_id"),
		Variables: []Variable{
			{"description", "Human-readable reward", "$5"},
			{"amount", "Reward amount", "5.0"},
			{"coupon_code", "Coupon code of the reward", "FR_NEW_5_OFF"},
			{"reason", "Why the reward was given", "click"},
			siteVar,
			{"click_reward_verified", "Decision of the click reward verification named by verification_id (absent without one)", true},
		},
	},
	{
		ID: "create_coupon", Name: "Create coupon",
		Description: "Sent when the quantity of available coupons drops below the threshold.",
		Payload:     fields("site_id", "coupon_code", "coupon_discount_amount"),
		Variables: []Variable{siteVar,
			{"coupon_code", "Coupon code", "SAMPLE-COUPON-CODE"},
			{"coupon_discount_amount", "Discount amount of the coupon", "0.0"}},
	},
	{
		ID: "event", Name: "Event",
		Description: "Triggers when a new event or purchase is created.",
		Payload: fields("site_id", "type", "created_at", "event_category", "event_number",
			"subtotal", "currency_iso_code", "email"),
		Variables: []Variable{siteVar,
			{"type", "Kind of record (Event or Purchase)", "Event"},
			{"created_at", "When the event happened", sampleCreatedAt},
			{"event_category", "Event category", "public_event"},
			{"event_number", "Event number", "183247241"},
			{"subtotal", "Subtotal", "100.0"},
			{"currency_iso_code", "Currency ISO code", "USD"},
			emailVar(sampleAdvocate)},
	},
	{
		ID: "referral_status_change", Name: "Referral status change",
		Description: "Triggered when a referral's status changes.",
		Payload:     fields("site_id", "campaign_id", "referral_status", "advocate_email", "friend_email"),
		Variables:   referralVars,
	},
	{
		ID: "click_reward_verification", Name: "Click reward verification",
		Description: "Sends information about a friend who attempts to claim a reward; the endpoint's answer decides " +
			"whether the reward is given. A timeout (1 second by default) counts as verified.",
		Payload:   fields("email", "site_id"),
		Variables: []Variable{emailVar(sampleFriend), siteVar},
	},
}

// fields builds a payload whose every field is the variable of the same name.
func fields(names ...string) []Field {
	out := make([]Field, len(names))
	for i, n := range names {
		out[i] = Field{Name: n, Template: "{{ " + n + " }}"}
	}
	return out
}

var byID = func() map[string]*Action {
	m := make(map[string]*Action, len(actions))
	for _, a := range actions {
		m[a.ID] = a
	}
	return m
}()

// All returns the catalog in the doc's order. The entries are shared; do not
// modify them.
func All() []*Action { return actions }

// Lookup finds an action by identifier.
func Lookup(id string) (*Action, bool) {
	a, ok := byID[id]
	return a, ok
}

// SampleVariables builds the variables an action's samples give, nesting
// dotted names ("referral.status") into objects.
func (a *Action) SampleVariables() map[string]any {
	vars := map[string]any{}
	for _, v := range a.Variables {
		parts := strings.Split(v.Name, ".")
		m := vars
		for _, p := range parts[:len(parts)-1] {
			child, ok := m[p].(map[string]any)
			if !ok {
				child = map[string]any{}
				m[p] = child
			}
			m = child
		}
		m[parts[len(parts)-1]] = v.Sample
	}
	return vars
}

// PayloadTemplate is the default payload as a JSON object of templates, in
// the doc's order.
func (a *Action) PayloadTemplate() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range a.Payload {
		if i > 0 {
			b.WriteByte(',')
		}
		writeMember(&b, f.Name, f.Template)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func writeMember(b *bytes.Buffer, name, value string) {
	writeString(b, name)
	b.WriteByte(':')
	writeString(b, value)
}

// writeString writes s as a JSON string without HTML escaping, so "<" in a
// value reaches the receiver as "<", not "\u003c".
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode appends a newline
}
