package store

import (
	"reflect"
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"github.com/switchboardhq/switchboard/models"
)

// TestModelsHaveNoAssociations guards SkipDefaultTransaction (Open): GORM's
// per-statement transaction only matters when a write also writes
// associations or runs hooks, and no stored model may have either. The
// list is every model the migrations create (migrations*.go).
func TestModelsHaveNoAssociations(t *testing.T) {
	for _, m := range []any{&models.Org{}, &models.APIKey{}, &models.Webhook{}, &models.Event{}, &models.Delivery{}, &models.Attempt{},
		&models.BackendConnect{}, &models.Conversation{}, &models.Ticket{}, &models.Message{}, &models.CustomerProfile{}, &models.Lookup{},
		&models.App{}, &models.ClickVerification{}, &models.ClickVerificationApp{},
		&chatBackend{}, &chatTurn{}, &chatFile{}, &chatConversation{}, &chatTicket{}, &chatMessage{}, &consoleSession{}, &replayRow{}} {
		s, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(s.Relationships.Relations); n > 0 {
			t.Errorf("%s has %d associations: writes of it need GORM's default transaction", s.Name, n)
		}
		for _, hook := range []string{"BeforeSave", "BeforeCreate", "AfterCreate", "BeforeUpdate", "AfterUpdate", "AfterSave", "BeforeDelete", "AfterDelete"} {
			if _, ok := reflect.TypeOf(m).MethodByName(hook); ok {
				t.Errorf("%s has a %s hook: writes of it need GORM's default transaction", s.Name, hook)
			}
		}
	}
}
