package liquidsandbox

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/osteele/liquid"
	"github.com/osteele/liquid/expressions"
	"github.com/osteele/liquid/filters"
)

// excludedFilters are standard filters of the library that the sandbox does
// not offer: inspect and type are debugging aids that print Go values and
// Go type names, which is no use in a payload and exposes implementation
// details. They are replaced by refusing versions and rejected at save time.
var excludedFilters = map[string]bool{"inspect": true, "type": true}

// collector receives the library's standard filters so the sandbox can wrap
// each one; the engine does not expose its filter table.
type collector map[string]any

func (c collector) AddFilter(name string, fn any) { c[name] = fn }

// FilterNames lists the filters a sandboxed template may use, sorted. It is
// the library's standard set minus excludedFilters.
func (s *Sandbox) FilterNames() []string {
	names := make([]string, 0, len(s.filters))
	for n := range s.filters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// installFilters replaces every standard filter of the engine by a bounded
// version. The library has no resource limits, and even without loops a
// chain such as | replace: "a", "aaaa" | replace: "a", "aaaa" | ... grows
// output exponentially in the template length. So each filter call:
//   - refuses inputs whose total size is over MaxValueBytes (or arrays over
//     MaxItems elements) before running, so one call does work linear in
//     that cap;
//   - for the replace family, whose output is multiplicative, computes the
//     output size first and refuses before allocating;
//   - refuses an output over the caps, so the next call's input is bounded;
//   - turns a panic of the filter (e.g. truncatewords builds a regexp from
//     its argument) into an error.
//
// With loops refused, a template makes at most len(template) filter calls,
// so a render's work is bounded by MaxTemplateBytes x MaxValueBytes.
func (s *Sandbox) installFilters(e *liquid.Engine) {
	std := collector{}
	filters.AddStandardFilters(std)
	s.filters = map[string]bool{}
	for name, fn := range std {
		if excludedFilters[name] {
			e.RegisterFilter(name, func(any) (any, error) { return nil, ErrUnknownFilter })
			continue
		}
		if r, ok := replacedFilters[name]; ok {
			fn = r
		}
		s.filters[name] = true
		e.RegisterFilter(name, s.bounded(name, fn))
	}
}

var errorType = reflect.TypeFor[error]()

func (s *Sandbox) bounded(name string, fn any) any {
	fv := reflect.ValueOf(fn)
	ft := fv.Type()
	ins := make([]reflect.Type, ft.NumIn())
	for i := range ins {
		ins[i] = ft.In(i)
	}
	resultType := ft.Out(0)
	wt := reflect.FuncOf(ins, []reflect.Type{resultType, errorType}, ft.IsVariadic())
	fail := func(err error) []reflect.Value {
		return []reflect.Value{reflect.Zero(resultType), reflect.ValueOf(&err).Elem()}
	}
	return reflect.MakeFunc(wt, func(args []reflect.Value) (results []reflect.Value) {
		total := 0
		for _, a := range args {
			if a.Kind() == reflect.Func {
				continue // optional-argument accessor supplied by the library
			}
			w, ok := s.weigh(a.Interface(), 0)
			if !ok {
				return fail(ErrOutputTooLarge)
			}
			total += w
		}
		if total > s.limits.MaxValueBytes {
			return fail(ErrOutputTooLarge)
		}
		if err := s.precheck(name, args); err != nil {
			return fail(err)
		}
		defer func() {
			if r := recover(); r != nil {
				results = fail(ErrRender)
			}
		}()
		var out []reflect.Value
		if ft.IsVariadic() {
			out = fv.CallSlice(args)
		} else {
			out = fv.Call(args)
		}
		if len(out) == 2 && !out[1].IsNil() {
			return fail(fmt.Errorf("%w: filter %s failed", ErrRender, name))
		}
		if w, ok := s.weigh(out[0].Interface(), 0); !ok || w > s.limits.MaxValueBytes {
			return fail(ErrOutputTooLarge)
		}
		return []reflect.Value{out[0], reflect.Zero(errorType)}
	}).Interface()
}

// precheck sizes the output of filters whose output can be a multiple of
// their input before they allocate it.
func (s *Sandbox) precheck(name string, args []reflect.Value) error {
	if name == "split" && len(args) == 2 {
		// Count the parts before the library allocates them.
		str, sep := fmt.Sprint(args[0].Interface()), fmt.Sprint(args[1].Interface())
		parts := strings.Count(str, sep) + 1
		switch sep {
		case "": // splits runes
			parts = utf8.RuneCountInString(str)
		case " ": // splits on runs of whitespace
			parts = len(strings.Fields(str)) + 1
		}
		if parts > s.limits.MaxItems {
			return ErrOutputTooLarge
		}
		return nil
	}
	if name != "replace" && name != "replace_first" || len(args) < 3 {
		return nil
	}
	str, old, repl := fmt.Sprint(args[0].Interface()), fmt.Sprint(args[1].Interface()), fmt.Sprint(args[2].Interface())
	n := 1
	if name == "replace" {
		n = strings.Count(str, old)
	}
	if old == "" {
		n = min(n, utf8.RuneCountInString(str)+1)
	}
	if len(str)+n*(len(repl)-len(old)) > s.limits.MaxValueBytes {
		return ErrOutputTooLarge
	}
	return nil
}

// weigh estimates the size of a value in bytes (strings by length, scalars
// as 8) and reports false for arrays or maps over MaxItems entries or
// nesting deeper than 32, without walking past either limit.
func (s *Sandbox) weigh(v any, depth int) (int, bool) {
	if depth > 32 {
		return 0, false
	}
	switch v := v.(type) {
	case nil, bool, int, int64, float64, int32, float32, uint, uint64:
		return 8, true
	case string:
		return len(v), true
	case []byte:
		return len(v), true
	case time.Time:
		return 32, true
	case []any:
		if len(v) > s.limits.MaxItems {
			return 0, false
		}
		total := 0
		for _, e := range v {
			w, ok := s.weigh(e, depth+1)
			if !ok {
				return 0, false
			}
			total += w
		}
		return total, true
	case map[string]any:
		if len(v) > s.limits.MaxItems {
			return 0, false
		}
		total := 0
		for k, e := range v {
			w, ok := s.weigh(e, depth+1)
			if !ok {
				return 0, false
			}
			total += len(k) + w
		}
		return total, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Len() > s.limits.MaxItems {
			return 0, false
		}
		total := 0
		for i := range rv.Len() {
			w, ok := s.weigh(rv.Index(i).Interface(), depth+1)
			if !ok {
				return 0, false
			}
			total += w
		}
		return total, true
	case reflect.Map:
		if rv.Len() > s.limits.MaxItems {
			return 0, false
		}
		total := 0
		for it := rv.MapRange(); it.Next(); {
			w, ok := s.weigh(it.Value().Interface(), depth+1)
			if !ok {
				return 0, false
			}
			total += len(fmt.Sprint(it.Key().Interface())) + w
		}
		return total, true
	}
	return 16, true
}

// causeOf digs through the library's error wrappers (which predate Unwrap:
// Cause() and expressions.FilterError) to find one of this package's
// sentinels.
func causeOf(err error) error {
	for i := 0; err != nil && i < 16; i++ {
		for _, k := range []error{ErrOutputTooLarge, ErrDeadline, ErrUnknownFilter, ErrRender} {
			if errors.Is(err, k) {
				return k
			}
		}
		var fe expressions.FilterError
		if errors.As(err, &fe) {
			err = fe.Err
			continue
		}
		c, ok := err.(interface{ Cause() error })
		if !ok {
			return nil
		}
		err = c.Cause()
	}
	return nil
}
