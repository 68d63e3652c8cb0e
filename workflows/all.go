package workflows

// All lists every workflow function the worker registers.
func All() []any {
	return []any{Delivery, TestSend, Lookup}
}
