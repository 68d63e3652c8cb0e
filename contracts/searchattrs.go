package contracts

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Custom search attributes, so operators can filter runs in the Temporal
// Web UI by org, endpoint, event type and outcome. Starters set them at
// start; the workflows keep AttrStatus current.
var (
	AttrOrg       = temporal.NewSearchAttributeKeyKeyword("SwitchboardOrg")
	AttrEndpoint  = temporal.NewSearchAttributeKeyKeyword("SwitchboardEndpoint")
	AttrEventType = temporal.NewSearchAttributeKeyKeyword("SwitchboardEventType")
	AttrStatus    = temporal.NewSearchAttributeKeyKeyword("SwitchboardStatus")
)

// SearchAttributes maps each custom attribute name to its indexed type, in
// the form both the dev server's --search-attribute flag and the operator
// service's AddSearchAttributes expect.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{AttrOrg, AttrEndpoint, AttrEventType, AttrStatus} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}
