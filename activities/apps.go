package activities

import (
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/liquidsandbox"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
)

// appTarget is an app's endpoint with its one secret, opened for signing;
// action sends, sample payloads and click verification all use it.
func appTarget(app models.App) (outbound.Target, error) {
	secret, err := app.Secret.Reveal()
	if err != nil {
		return outbound.Target{}, fmt.Errorf("open the app's signing secret: %w", err)
	}
	return outbound.Target{URL: app.URL, SigningScheme: models.AppSigningScheme, SignatureHeader: app.SignatureHeader,
		Secrets: []string{secret}}, nil
}

// renderFailure describes a payload that could not be rendered. A
// TemplateError's text is written by the sandbox for clients; anything
// else gets a fixed text.
func renderFailure(err error) string {
	var te *liquidsandbox.TemplateError
	if errors.As(err, &te) {
		return fmt.Sprintf("the payload could not be rendered: %s: %s", te.Field, te.Message)
	}
	return "the payload could not be rendered"
}
