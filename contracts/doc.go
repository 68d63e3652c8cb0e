// Package contracts is the agreement between the code that starts, signals
// and queries Switchboard's Temporal workflows (api, service, the sweeper,
// devserver, migrate) and the code that runs them (workflows, activities,
// worker): workflow type names and IDs, signal names, search attributes,
// every workflow and activity input and result, and the application error
// types activities return.
//
// It is a leaf: it imports only the standard library and Temporal's own
// packages, so a starter does not pull in the worker's dependencies and a
// change to either side shows here first.
//
// Everything in this package is part of recorded workflow history. Workflow
// type names, field names and field types must not change: histories in
// workflows/testdata decode these types by their JSON field names, and runs
// in flight carry payloads written by the previous version. Add fields
// (older payloads decode with the zero value, which must keep its old
// meaning); never rename or retype one.
package contracts
