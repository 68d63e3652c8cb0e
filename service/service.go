// Package service is Switchboard's application layer: it validates input,
// applies the business rules, writes through the store and starts or
// signals Temporal workflows. The HTTP handlers in package api only decode
// requests, call one method here and encode the answer.
//
// There is one type per domain (Orgs, Webhooks, Events, Deliveries,
// Sweeper, BackendConnect, Conversations, Widget, Apps, Actions). Each declares the store
// methods it calls as a small interface (satisfied by *store.Store) and
// takes its own settings section, so a new integration adds a domain
// without touching the others. Pieces several domains need (starting a
// delivery or a lookup workflow, reading a Temporal history, checking a
// customer URL) are one small type each, shared by pointer.
package service

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/filestore"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

// Deps are the parts the services are built from.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
	Log      *slog.Logger // nil: slog.Default()
	// Hub carries live updates (today: finished customer lookups) to the
	// API's streams; nil makes a new one.
	Hub *live.Hub
	// URLGuard checks customer URLs at save time with the allow-list and
	// resolver the outbound client uses at send time; nil builds one from
	// the config with the system resolver.
	URLGuard *outbound.Guard
	// Files stores visitor uploads; nil keeps them on local disk under
	// the config's UPLOAD_DIR.
	Files filestore.Storage
}

// Services is the assembly point: every domain service, built once by New.
// It only holds fields; behaviour lives in the domain types.
type Services struct {
	Orgs           *Orgs
	Webhooks       *Webhooks
	Events         *Events
	Deliveries     *Deliveries
	Dispatcher     *Dispatcher // the app starts it in API processes and stops it on Close
	Sweeper        *Sweeper
	BackendConnect *BackendConnect
	Conversations  *Conversations
	Widget         *Widget
	Apps           *Apps
	Actions        *Actions
	// AppSync runs the synchronous Custom App calls (sample payload,
	// click reward verification).
	AppSync *AppSync
	// ChatBackend, Chats and Files are the chat custom backend: its
	// configuration, the operators' transcript, and visitor uploads.
	ChatBackend *ChatBackend
	Chats       *Chats
	Files       *Files
	// Replays sends stored events again (one, or in bulk).
	Replays *Replays
	// Operational sends the platform's events about endpoints and
	// deliveries (auto-disable, exhausted deliveries).
	Operational *Operational
	// Hub is the hub the services publish to (Deps.Hub or a new one).
	Hub *live.Hub
}

// New builds every domain service from d and the settings sections of cfg.
func New(d Deps, cfg config.Config) *Services {
	set := SettingsFrom(cfg)
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Hub == nil {
		d.Hub = live.NewHub()
	}
	if d.URLGuard == nil {
		d.URLGuard = outbound.NewGuard(set.URLs.AllowPrefixes, nil)
	}
	if d.Files == nil {
		// The app passes UPLOAD_DIR's store; this is for callers that do not.
		disk, err := filestore.NewDisk(filepath.Join(os.TempDir(), "switchboard-uploads"))
		if err != nil {
			d.Log.Error("no upload directory: uploads will fail", "err", err)
		} else {
			d.Files = disk
		}
	}
	urls := &urlChecker{insecure: set.URLs.AllowInsecure, guard: d.URLGuard}
	deliveries := &deliveryStarter{tc: d.Temporal, set: set.Deliveries}
	lookups := &lookupStarter{tc: d.Temporal, st: d.Store, hub: d.Hub, log: d.Log, set: set.Lookups}
	history := &historyReader{tc: d.Temporal}
	dispatcher := newDispatcher(func(ctx context.Context, dl models.Delivery, w models.Webhook) error {
		return deliveries.start(ctx, dl, w, 1, false)
	}, set.Dispatch, d.Log)
	appSync := &AppSync{st: d.Store, tc: d.Temporal, history: history, log: d.Log, set: set.Deliveries}
	relay := &chatRelay{tc: d.Temporal, set: set.Chat}
	widget := &Widget{st: d.Store, lookups: lookups, relay: relay, hub: d.Hub, log: d.Log}
	files := &Files{st: d.Store, storage: d.Files, signer: filestore.Signer{Key: set.Files.SigningKey}, set: set.Files, widget: widget}
	return &Services{
		Orgs:           &Orgs{st: d.Store},
		Webhooks:       &Webhooks{st: d.Store, tc: d.Temporal, urls: urls, set: set.Deliveries, health: d.Store, starter: deliveries},
		Operational:    &Operational{st: d.Store, starter: deliveries, log: d.Log},
		Events:         &Events{st: d.Store, dispatcher: dispatcher, set: set.Events},
		Deliveries:     &Deliveries{st: d.Store, tc: d.Temporal, starter: deliveries, history: history},
		Dispatcher:     dispatcher,
		Sweeper:        &Sweeper{st: d.Store, deliveries: deliveries, lookups: lookups, relay: relay, log: d.Log, set: set.Sweeper},
		BackendConnect: &BackendConnect{st: d.Store, urls: urls},
		Conversations:  &Conversations{st: d.Store, lookups: lookups, history: history, hub: d.Hub, set: set.Lookups},
		Widget:         widget,
		ChatBackend:    &ChatBackend{st: d.Store, urls: urls, test: &chatTester{tc: d.Temporal, set: set.Chat}},
		Chats:          &Chats{st: d.Store, hub: d.Hub},
		Files:          files,
		Replays:        &Replays{st: d.Store, tc: d.Temporal, starter: deliveries, log: d.Log, set: set.Replays},
		Apps:           &Apps{st: d.Store, urls: urls, set: set.Apps},
		AppSync:        appSync,
		// Actions read click-reward decisions for verification_id.
		Actions: &Actions{st: d.Store, dispatcher: dispatcher, verifications: appSync, log: d.Log, set: set.Events},
		Hub:     d.Hub,
	}
}

// withDeadline bounds a wait on Temporal so no request can hang on a long
// poll (one Get in thousands was seen to wait the server's 20 s poll).
func withDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
