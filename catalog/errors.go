package catalog

import (
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer renders the library's structured error kinds as English text;
// formatting ErrorKind with %v would print the Go struct (&{[id]}).
var printer = message.NewPrinter(language.English)

// firstLeaf finds the deepest first cause, which names the failing field
// instead of the generic root, and renders it as a JSON-pointer-like path
// under "data" followed by the kind's localized message, e.g.
// `data/contact: missing property 'id'`.
func firstLeaf(ve *jsonschema.ValidationError) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	loc := strings.Join(append([]string{"data"}, ve.InstanceLocation...), "/")
	return loc + ": " + ve.ErrorKind.LocalizedString(printer)
}
