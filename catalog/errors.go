package catalog

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// firstLeaf finds the deepest first cause, which names the failing field
// (e.g. "at '/contact': missing property 'id'") instead of the generic root.
func firstLeaf(ve *jsonschema.ValidationError) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	loc := "/" + strings.Join(ve.InstanceLocation, "/")
	return fmt.Sprintf("at '%s': %v", loc, ve.ErrorKind)
}
