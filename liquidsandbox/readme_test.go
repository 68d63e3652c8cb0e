package liquidsandbox

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The README documents the filters; every documented filter must be one the
// sandbox offers (and so one TestEveryFilter renders), and vice versa.
func TestReadmeListsEveryFilter(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "### Custom App templates")
	if !ok {
		t.Fatal("README lacks the Custom App templates section")
	}
	_, list, ok := strings.Cut(section, "`inspect` and `type`): ")
	if !ok {
		t.Fatal("README lacks the filter list")
	}
	list, _, _ = strings.Cut(list, "\n")
	var documented []string
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(list, -1) {
		documented = append(documented, m[1])
	}
	sort.Strings(documented)
	if offered := New(Limits{}).FilterNames(); !reflect.DeepEqual(documented, offered) {
		t.Fatalf("README documents %v\nthe sandbox offers %v", documented, offered)
	}
}
